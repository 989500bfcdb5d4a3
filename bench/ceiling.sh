#!/bin/bash
# What two cores can give on this machine, against what `-j 2` gives (docs/performance.md):
# one `-j 1` run alone, two `-j 1` runs side by side (independent processes, nothing shared but
# the machine), and one `-j 2` run, in turn, ROUNDS times (21 by default).
#
#   bench/ceiling.sh KBDIAG FLEET.ndjson [ROUNDS]
#
# Prints the medians and two ratios against the run alone: the pair's throughput (2 × alone ÷
# pair, the most any threading can give here) and `-j 2`'s (alone ÷ `-j 2`).
set -euo pipefail
bin=$1 fleet=$2 rounds=${3:-21}
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
run() { "$bin" eval -j"$1" -q --format ndjson "$fleet" > /dev/null || [ $? -eq 1 ]; }
for _ in $(seq "$rounds"); do
  s=$(date +%s%N); run 1; alone=$(ms "$s")
  s=$(date +%s%N); run 1 & run 1; wait; pair=$(ms "$s")
  s=$(date +%s%N); run 2; two=$(ms "$s")
  echo "$alone $pair $two"
done | python3 -c '
import sys, statistics as st
rows = [list(map(int, l.split())) for l in sys.stdin]
alone, pair, two = (st.median(c) for c in zip(*rows))
print("medians: alone %d ms, two side by side %d ms, -j2 %d ms" % (alone, pair, two))
print("two independent processes: %.2f x one; -j2: %.2f x one" % (2 * alone / pair, alone / two))'
