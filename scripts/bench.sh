#!/usr/bin/env bash
# Benchmark: `replan run` on generated tenants against two floors timed in the
# same run, alternating, so that a slow spell of the machine weighs on all alike:
# - floor: examples/floor.rs reads the same inputs once with the csv crate and
#   writes one row per users.csv row, padded so that it writes at least as many
#   bytes as all of replan's outputs of the same run;
# - pandas: scripts/pandas_floor.py reads every input with pandas' pyarrow engine
#   and writes users.csv's first 10 columns.
# Prints per tenant and size the medians: replan's seconds, the floor's, their
# ratio, pandas' seconds, replan's speed-up over pandas, replan's peak RSS; then
# the first floor of issue 4 (copies of users.csv rows, one per planned user),
# and the bytes replan writes.
# Usage: scripts/bench.sh [SIZE ...] (default 1000000). SHAPES (default
# "generate admin-center") are the tenants, as `replan generate --shape` makes
# them; RUNS (default 5) runs per measure; THREADS (default: all cores);
# BENCH_DIR (default /tmp/replan-bench) holds the data and pandas' virtual
# environment.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000)
read -r -a shapes <<< "${SHAPES:-generate admin-center}"
dir=${BENCH_DIR:-/tmp/replan-bench}
runs=${RUNS:-5}
threads=${THREADS:+--threads $THREADS}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet --bin replan --example floor
bin=target/release/replan
floor=target/release/examples/floor
mkdir -p "$dir"
venv="$dir/venv"
if ! "$venv/bin/python" -c 'import pandas, pyarrow' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pandas pyarrow
fi
# The tenants are made again when the generator changes.
stamp="$(sha256sum src/generate.rs | cut -c1-16)"

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run a command under GNU time; print "seconds max_rss_kib". Each starts with
# the disk idle and its earlier outputs on the disk, as a scheduled job finds
# them: without the sync, the kernel would write the last command's outputs
# during this one, and a floor's earlier output, still in memory, would be
# truncated for nothing, where replan's, on the disk, costs time to delete.
measure() {
  sync
  /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || [ $? -eq 1 ]
  tail -n 1 "$dir/time.txt"
}

printf '%-13s %10s %9s %8s %6s %9s %9s %9s | %13s %7s\n' \
  tenant users replan_s floor_s ratio pandas_s speed_up peak_MiB plain_floor_s out_MB
for shape in "${shapes[@]}"; do
  for n in "${sizes[@]}"; do
    data="$dir/$shape-$n"
    orgs=$(( n / 20000 > 0 ? n / 20000 : 1 ))
    if [ "$(cat "$data/stamp" 2>/dev/null)" != "$stamp" ]; then
      rm -rf "$data"
      "$bin" generate --users "$n" --organizations "$orgs" --seed 7 --shape "$shape" --out "$data"
      echo "$stamp" > "$data/stamp"
    fi
    out="$dir/out-$shape-$n"
    rm -rf "$out"
    : > "$dir/replan.txt"; : > "$dir/floor.txt"; : > "$dir/pandas.txt"; : > "$dir/plain.txt"
    # A first, untimed run reads the inputs into the file cache for all, and tells
    # how many bytes replan writes and how many users it plans.
    "$bin" run "$data" --out "$out" --quiet >/dev/null 2>&1 || [ $? -eq 1 ]
    bytes=0
    for f in result.csv subscription-actions.csv backup.csv graph-requests.jsonl report.html summary.json; do
      [ -f "$out/$f" ] && bytes=$(( bytes + $(wc -c < "$out/$f") ))
    done
    planned=$(grep -m1 '"planned"' "$out/summary.json" | tr -dc '0-9')
    for _ in $(seq "$runs"); do
      # shellcheck disable=SC2086
      measure "$bin" run "$data" --out "$out" --quiet $threads >> "$dir/replan.txt"
      measure "$floor" "$data" "$dir/floor.csv" --total "$bytes" "$n" >> "$dir/floor.txt"
      measure "$venv/bin/python" scripts/pandas_floor.py "$data" "$dir/pandas.csv" >> "$dir/pandas.txt"
      measure "$floor" "$data" "$dir/plain.csv" "$planned" >> "$dir/plain.txt"
    done
    written=$(wc -c < "$dir/floor.csv")
    [ "$written" -ge "$bytes" ] || { echo "the floor wrote $written bytes, replan $bytes" >&2; exit 1; }
    r=$(cut -d' ' -f1 "$dir/replan.txt" | median)
    f=$(cut -d' ' -f1 "$dir/floor.txt" | median)
    p=$(cut -d' ' -f1 "$dir/pandas.txt" | median)
    o=$(cut -d' ' -f1 "$dir/plain.txt" | median)
    rss=$(cut -d' ' -f2 "$dir/replan.txt" | median)
    awk -v shape="$shape" -v n="$n" -v r="$r" -v f="$f" -v p="$p" -v o="$o" -v rss="$rss" -v b="$bytes" 'BEGIN {
      printf "%-13s %10d %9.2f %8.2f %6.2f %9.2f %9.1f %9.0f | %13.2f %7.0f\n", shape, n, r, f,
        (f > 0 ? r / f : 0), p, (r > 0 ? p / r : 0), rss / 1024, o, b / 1e6 }'
  done
done
