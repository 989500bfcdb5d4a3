#!/usr/bin/env bash
# The knowledge base at fleet scale, process by process (issue 26): kbdiag with the thirty
# articles of kb/, kbdiag with KB 322051 alone, and bench/python_fleet.py --kb deciding the same
# thirty, on the knowledge-base fleet (generate_fleet --kb), one core each, in turn for ROUNDS
# rounds. Prints each one's fastest and median wall and CPU (user + system) time, and the medians
# of the round-by-round ratios: on a shared machine the CPU-time ratios are the steadier.
# Also checks that the script's counts per article equal kbdiag's, and the NDJSON bytes a host.
#
#   bench/kb.sh [HOSTS] [ROUNDS]      (default 20000 hosts, 7 rounds; needs python3, orjson, PyYAML)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-20000}
rounds=${2:-7}
cargo build --release --quiet --bin kbdiag --example generate_fleet
work=target/kb-bench
mkdir -p "$work"
target/release/examples/generate_fleet "$hosts" --kb > "$work/kb-fleet.ndjson"

python3 - "$work" "$rounds" <<'PY'
import json, os, resource, statistics, subprocess, sys, time
from collections import Counter

work, rounds = sys.argv[1], int(sys.argv[2])
fleet = f"{work}/kb-fleet.ndjson"
kbdiag = "target/release/kbdiag"
runs = {
    "kbdiag, the 30 articles": [kbdiag, "eval", "-q", "-j1", "--exit-zero", "--format", "ndjson", fleet],
    "kbdiag, KB 322051 alone": [kbdiag, "eval", "--kb", "kb/KB322051.yaml", "-q", "-j1", "--exit-zero",
                                "--format", "ndjson", fleet],
    "Python + orjson, the 30 articles": ["python3", "bench/python_fleet.py", "--kb", "kb"],
}


def run(command, out=subprocess.DEVNULL, err=subprocess.DEVNULL):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with open(fleet, "rb") as stdin:
        subprocess.run(command, stdin=stdin, stdout=out, stderr=err, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# The script must decide what kbdiag decides, article by article.
with open(f"{work}/kbdiag.ndjson", "wb") as out:
    run(runs["kbdiag, the 30 articles"] + ["--detail", "full"], out=out)
ours = Counter()
for line in open(f"{work}/kbdiag.ndjson", encoding="utf-8"):
    r = json.loads(line)
    for d in r.get("results", []):
        ours[(d["kb"], d["status"], d["recommendation"]["action"])] += 1
ours = " ".join(f"{k}/{s}/{a}={n}" for (k, s, a), n in sorted(ours.items()))
with open(f"{work}/python.err", "wb") as err:
    run(runs["Python + orjson, the 30 articles"], err=err)
said = open(f"{work}/python.err", encoding="utf-8").read().strip()
assert said.startswith("orjson "), "orjson is not installed: " + said[:200]
assert said[len("orjson "):] == ours, "the Python script and kbdiag decide differently"
full = os.path.getsize(f"{work}/kbdiag.ndjson")
with open(f"{work}/brief.ndjson", "wb") as out:
    run(runs["kbdiag, the 30 articles"], out=out)
brief = os.path.getsize(f"{work}/brief.ndjson")
hosts = sum(1 for _ in open(fleet, "rb"))
print(f"{hosts} hosts; the script's counts per article equal kbdiag's")
print(f"NDJSON: {brief / hosts / 1024:.2f} KB a host ({brief / 1e6:.1f} MB); "
      f"--detail full {full / hosts / 1024:.2f} KB a host ({full / 1e6:.1f} MB)")

times = {name: [] for name in runs}
for _ in range(rounds):
    for name, command in runs.items():
        times[name].append(run(command))
print(f"\n| {rounds} rounds | fastest wall | median wall | median CPU | hosts/s (median CPU) |")
print("|---|---:|---:|---:|---:|")
for name, t in times.items():
    walls, cpus = [w for w, _ in t], [c for _, c in t]
    print(f"| {name} | {min(walls):.2f} s | {statistics.median(walls):.2f} s | "
          f"{statistics.median(cpus):.2f} s | {hosts / statistics.median(cpus):,.0f} |")


def paired(a, b, i):
    return statistics.median(tb[i] / ta[i] for ta, tb in zip(times[a], times[b]))


whole, alone, script = runs
for label, i in (("wall", 0), ("CPU", 1)):
    print(f"\nmedian of the round-by-round ratios, {label} time:")
    print(f"  the 30 articles ÷ KB 322051 alone, hosts/s (target ≥ 0.25): {paired(whole, alone, i):.2f}")
    print(f"  kbdiag ÷ Python, the 30 articles, hosts/s (target ≥ 2.5): {paired(whole, script, i):.2f}")
PY
