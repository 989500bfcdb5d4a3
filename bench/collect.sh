#!/bin/sh
# `kbdiag collect` reading event logs against the reference readers, in one run on one machine:
# the legacy .evt against libevt's evtexport (C), .evtx against libevtx's evtxexport (C) and the
# evtx crate's own evtx_dump (Rust, one thread). Every reader reads and prints every record.
#
#   bench/collect.sh [MEGABYTES]      # default 64: the real SysEvent.Evt's records, repeated
#
# Needs: hyperfine, evtexport and evtxexport (Debian: libevt-utils, libevtx-utils), and
# evtx_dump (`cargo install evtx --version 0.15.1 --locked`). Figures: docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-64}
cargo build --release --quiet
K=$PWD/target/release/kbdiag
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
python3 bench/big_evt.py tests/fixtures/collect/real/SysEvent.Evt "$MB" "$T/big.evt"
EVTX=tests/fixtures/collect/real/System.evtx
# Same output on both sides before timing: every record read.
records=$(evtinfo "$T/big.evt" | awk -F': ' '/Number of records/ {print $2; exit}')
ours=$("$K" collect --event-log "$T/big.evt" --all-events --collected 2026-01-01 2>/dev/null \
  | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["events"]))')
echo "records: evtinfo $records, kbdiag $ours"
[ "$records" = "$ours" ]
hyperfine --warmup 1 --runs 5 --export-markdown "$T/evt.md" \
  -n "evtexport (C)" "evtexport $T/big.evt > /dev/null" \
  -n "kbdiag collect --all-events (JSON out)" "$K collect --event-log $T/big.evt --all-events > /dev/null 2>&1" \
  -n "kbdiag collect (rules' events only)" "$K collect --event-log $T/big.evt > /dev/null 2>&1"
hyperfine --warmup 1 --runs 10 --export-markdown "$T/evtx.md" \
  -n "evtxexport (C)" "evtxexport $EVTX > /dev/null" \
  -n "evtx_dump -t 1 -o json (Rust)" "evtx_dump -t 1 -o json $EVTX > /dev/null" \
  -n "kbdiag collect --all-events (JSON out)" "$K collect --event-log $EVTX --all-events > /dev/null 2>&1"
cat "$T/evt.md" "$T/evtx.md"
