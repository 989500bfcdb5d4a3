#!/usr/bin/env bash
# Peak memory (max RSS) of `kbdiag eval` on synthetic fleets of 10,000 and 200,000 hosts, one
# core and all cores, NDJSON out. Usage: bench/memory.sh   (needs /usr/bin/time; ~2 GB of disk in target/)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example generate_fleet
cargo build --release --quiet
dir=target/tmp/memory-bench
mkdir -p "$dir"
for n in 10000 200000; do
  file="$dir/fleet-$n.ndjson"
  [ -s "$file" ] || ./target/release/examples/generate_fleet "$n" > "$file"
  for jobs in 1 "$(nproc)"; do
    /usr/bin/time -f "$n hosts, $jobs job(s): %M KB peak, %e s" \
      ./target/release/kbdiag eval --quiet --jobs "$jobs" --format ndjson "$file" > /dev/null || true
  done
done 2>&1 | grep 'hosts,'
