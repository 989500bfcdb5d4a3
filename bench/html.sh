#!/usr/bin/env bash
# Size and render time of the HTML report at fleet scale (docs/reports.md): writes the report of a
# synthetic fleet with kbdiag, then loads it in headless Chromium (which runs its script).
#   bench/html.sh [HOSTS]     (default 10000; needs Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-10000}
work=target/html-bench
mkdir -p "$work"
cargo build --release --quiet --bin kbdiag --example generate_fleet
target/release/examples/generate_fleet "$hosts" > "$work/fleet.ndjson"
since() { python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 2))" "$1"; }
start=$EPOCHREALTIME
target/release/kbdiag eval --quiet --exit-zero --format html "$work/fleet.ndjson" > "$work/report.html"
write=$(since "$start")
size=$(wc -c < "$work/report.html")
start=$EPOCHREALTIME
chromium --headless --no-sandbox --disable-gpu --window-size=1280,1000 \
  --screenshot="$work/report.png" "file://$PWD/$work/report.html" > /dev/null 2>&1
load=$(since "$start")
peak=$( { /usr/bin/time -v target/release/kbdiag eval --quiet --exit-zero --format html "$work/fleet.ndjson" > /dev/null; } 2>&1 | awk '/Maximum resident/ {print $6}')
echo "$hosts hosts: report $((size / 1024)) KiB, written in ${write}s (peak ${peak} KB), loaded, laid out and painted (a screenshot) by headless Chromium in ${load}s"
