#!/usr/bin/env bash
# What one host costs in instructions (issue 26): callgrind on the first 2,000 hosts of the kb
# fleet less the first 1,000, so that start-up and compiling the rules are not in it, for the
# whole knowledge base and for KB 322051 alone; and their ratio, the target's ratio by
# instructions (KB 322051 alone's cost over the thirty's; the target is hosts/s, ≥ 0.25).
#
#   bench/per_host.sh   (needs valgrind; about 3 minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin kbdiag --example generate_fleet
work=target/per-host
rm -rf "$work"
mkdir -p "$work/one"
cp kb/KB322051.yaml "$work/one/"
# awk reads the whole stream: `head` would end the generator early, which pipefail reports.
target/release/examples/generate_fleet 2000 --kb | awk 'NR <= 1000' > "$work/1k.ndjson"
target/release/examples/generate_fleet 2000 --kb > "$work/2k.ndjson"
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/kbdiag eval -q -j1 \
    --exit-zero --format ndjson "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
all=$(($(instructions "$work/2k.ndjson") - $(instructions "$work/1k.ndjson")))
one=$(($(instructions --kb "$work/one" "$work/2k.ndjson") - $(instructions --kb "$work/one" "$work/1k.ndjson")))
awk -v all="$all" -v one="$one" -v rules="$(ls kb/KB*[0-9].yaml | wc -l)" 'BEGIN {
  printf "the %d articles: %.1f k instructions a host\n", rules, all / 1000000
  printf "KB 322051 alone: %.1f k instructions a host\n", one / 1000000
  printf "KB 322051 alone / the %d: %.3f\n", rules, one / all
}'
