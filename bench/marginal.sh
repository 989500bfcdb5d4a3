#!/usr/bin/env bash
# What each article of kb/ adds to a fleet run (issue 26): callgrind's instruction count for the
# whole knowledge base, then for the knowledge base without each article in turn. The difference
# is that article's own work, shown per host; each count is less the same run on no hosts, so
# compiling the rules (about 5 M instructions an article) is not in it. What the articles share
# (reading a host's facts, kept conditions) is counted in neither.
# Prints the articles from the most costly down, and what they cost together.
#
#   bench/marginal.sh [HOSTS] [FLEET]   (default the first 500 NT 4.0 hosts of the kb fleet;
#                                         needs valgrind; about 15 minutes:
#                                         two callgrind runs an article)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-500}
cargo build --release --quiet --bin kbdiag --example generate_fleet
work=target/marginal
rm -rf "$work"
mkdir -p "$work"
fleet=${2:-}
if [ -z "$fleet" ]; then
  fleet=$work/hosts.ndjson
  # awk reads the whole stream: `head` would end the generator early, which pipefail reports.
  target/release/examples/generate_fleet 4000 --kb |
    awk -v n="$hosts" '/"Windows NT/ && c < n { print; c++ }' > "$fleet"
fi
none=$work/none.ndjson
: > "$none"
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/kbdiag eval -q -j1 \
    --exit-zero --format ndjson "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
# What the hosts cost: the run on the fleet less the run on no hosts (loading the rules).
count() {
  echo $(($(instructions "$@" "$fleet") - $(instructions "$@" "$none")))
}
n=$(wc -l < "$fleet")
all=$(count)
for rule in kb/KB*[0-9].yaml; do
  id=$(basename "$rule" .yaml)
  dir=$work/without-$id
  mkdir -p "$dir"
  for other in kb/KB*[0-9].yaml; do
    [ "$other" = "$rule" ] || cp "$other" "$dir/"
  done
  echo "$id $((all - $(count --kb "$dir")))"
done | sort -k2 -n -r | awk -v n="$n" -v all="$all" -v rules="$(ls kb/KB*[0-9].yaml | wc -l)" '
  { printf "%-9s %7.1f k instructions a host\n", $1, $2 / n / 1000; sum += $2 }
  END {
    printf "the %d together: %.1f k a host (%d hosts); of them each article'"'"'s own: %.1f k\n",
      rules, all / n / 1000, n, sum / n / 1000
  }'
