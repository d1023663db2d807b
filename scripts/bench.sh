#!/usr/bin/env bash
# Benchmark: replan run on generated tenants, against a floor that only reads the
# same inputs once with the csv crate and writes a result file of as many rows.
# Prints per size: median seconds of replan and of the floor, their ratio, rows
# per second, and replan's peak RSS; then the same floor writing rows as wide as
# result.csv's (as many bytes as replan writes), and replan's ratio to it.
# Usage: scripts/bench.sh [SIZE ...] (default 100000 1000000 10000000); BENCH_DIR
# (default /tmp/replan-bench) holds the data; RUNS (default 3) runs per measure;
# THREADS (default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000 10000000)
dir=${BENCH_DIR:-/tmp/replan-bench}
runs=${RUNS:-3}
threads=${THREADS:+--threads $THREADS}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --quiet --bin replan --example floor
bin=target/release/replan
floor=target/release/examples/floor
mkdir -p "$dir"

# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run a command under GNU time; print "seconds max_rss_kib"
measure() {
  /usr/bin/time -f '%e %M' -o "$dir/time.txt" "$@" >/dev/null 2>"$dir/stderr.txt" || [ $? -eq 1 ]
  tail -n 1 "$dir/time.txt"
}

printf '%-10s %10s %10s %8s %12s %10s %12s %10s\n' users replan_s floor_s ratio rows_per_s peak_MiB wide_floor_s ratio_wide
for n in "${sizes[@]}"; do
  data="$dir/tenant-$n"
  orgs=$(( n / 20000 > 0 ? n / 20000 : 1 ))
  [ -f "$data/users.csv" ] || "$bin" generate --users "$n" --organizations "$orgs" --seed 7 --out "$data"
  out="$dir/out-$n"
  : > "$dir/replan.txt"; : > "$dir/floor.txt"; : > "$dir/wide.txt"
  # A first, untimed run reads the inputs into the file cache for both and tells
  # how many rows the floor writes (as many as replan plans).
  "$bin" run "$data" --out "$out" --quiet >/dev/null 2>&1 || [ $? -eq 1 ]
  planned=$(grep -m1 '"planned"' "$out/summary.json" | tr -dc '0-9')
  # result.csv's bytes a row, header left out.
  width=$(( ($(wc -c < "$out/result.csv") - $(head -n 1 "$out/result.csv" | wc -c)) / (planned > 0 ? planned : 1) ))
  # Alternate them, so that a slow spell of the machine weighs on all alike.
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086
    measure "$bin" run "$data" --out "$out" --quiet $threads >> "$dir/replan.txt"
    measure "$floor" "$data" "$dir/floor-$n.csv" "$planned" >> "$dir/floor.txt"
    measure "$floor" "$data" "$dir/floor-$n.csv" "$planned" "$width" >> "$dir/wide.txt"
  done
  r=$(cut -d' ' -f1 "$dir/replan.txt" | median)
  f=$(cut -d' ' -f1 "$dir/floor.txt" | median)
  w=$(cut -d' ' -f1 "$dir/wide.txt" | median)
  rss=$(cut -d' ' -f2 "$dir/replan.txt" | median)
  awk -v n="$n" -v r="$r" -v f="$f" -v w="$w" -v rss="$rss" 'BEGIN {
    printf "%-10d %10.2f %10.2f %8.2f %12.0f %10.0f %12.2f %10.2f\n", n, r, f, (f > 0 ? r / f : 0),
      (r > 0 ? n / r : 0), rss / 1024, w, (w > 0 ? r / w : 0) }'
done
