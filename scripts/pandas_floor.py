"""The benchmark's pandas floor: what a short pandas script costs for the same
files. Reads every input of DIR with pandas' pyarrow engine, every cell as text,
and writes users.csv's first 10 columns to OUT_FILE.

Usage: python scripts/pandas_floor.py DIR OUT_FILE (scripts/bench.sh runs it in a
virtual environment of its own that holds pandas and pyarrow).
"""

import os
import sys

import pandas


def main(folder, out):
    users = None
    for name in ["subscriptions.csv", "domains.csv", "plan.csv", "prices.csv", "users.csv"]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            frame = pandas.read_csv(path, engine="pyarrow", dtype=str)
            if name == "users.csv":
                users = frame
    users.iloc[:, :10].to_csv(out, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
