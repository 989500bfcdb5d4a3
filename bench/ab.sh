#!/bin/bash
# Two kbdiag binaries, one and two jobs, side by side on one fleet (docs/performance.md).
#
#   bench/ab.sh OLD NEW FLEET.ndjson [ROUNDS]
#
# Runs OLD -j1, OLD -j2, NEW -j1, NEW -j2 in turn, ROUNDS times (15 by default), so that a slow
# spell of a shared machine falls on all four alike; prints each one's median (and fastest) wall
# time and the ratio of the one-job median to the two-job one.
set -euo pipefail
old=$1 new=$2 fleet=$3 rounds=${4:-15}
for _ in $(seq "$rounds"); do
  for b in old new; do
    bin=$old; [ "$b" = new ] && bin=$new
    for j in 1 2; do
      s=$(date +%s%N)
      "$bin" eval -j$j -q --format ndjson "$fleet" > /dev/null || [ $? -eq 1 ]
      e=$(date +%s%N)
      echo "$b $j $(( (e - s) / 100000 ))"
    done
  done
done | python3 -c '
import sys, statistics as st
d = {}
for line in sys.stdin:
    b, j, t = line.split()
    d.setdefault((b, j), []).append(int(t) / 10)
for b in ("old", "new"):
    one, two = d[(b, "1")], d[(b, "2")]
    print("%s  -j1 median %.1f ms (fastest %.1f)  -j2 median %.1f ms (fastest %.1f)  ratio of medians %.2f"
          % (b, st.median(one), min(one), st.median(two), min(two), st.median(one) / st.median(two)))'
