#!/usr/bin/env bash
# The Spark example, tested: runs examples/spark/kbdiag_spark.py in PySpark's local mode on a
# generated fleet (with bad lines in it) and checks its counts against a plain `kbdiag eval` of the
# same file. Needs Java 17+, and PyPI the first time (the virtual environment is kept in
# target/spark-venv). Not part of `cargo test`; .ci/run runs it.
#
#   examples/spark/test.sh [HOSTS]      (default 20000)
set -euo pipefail
cd "$(dirname "$0")/../.."
hosts=${1:-20000}
work=target/spark-test
venv=target/spark-venv

cargo build --release --quiet --bin kbdiag --example generate_fleet
kbdiag=target/release/kbdiag
rm -rf "$work" && mkdir -p "$work"
target/release/examples/generate_fleet "$hosts" --kb > "$work/fleet.ndjson"
# Lines a partition must survive: not JSON, a document without host, an empty line.
printf '%s\n' 'not json at all' '{"os": {"name": "Windows NT Server 4.0"}}' '' >> "$work/fleet.ndjson"

if ! "$venv/bin/python" -c 'import pyspark' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet 'pyspark==4.3.0'
fi

since() { python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 2))" "$1"; }
start=$EPOCHREALTIME
# The whole knowledge base (the built-in rules) on a fleet whose hosts carry its facts: results
# name each article by id, and each article's texts come once, in its record.
kb=kb
"$kbdiag" eval --kb "$kb" --quiet --exit-zero --format summary-json "$work/fleet.ndjson" > "$work/plain.json"
plain=$(since "$start")

start=$EPOCHREALTIME
"$venv/bin/python" examples/spark/kbdiag_spark.py --master 'local[4]' --partitions 4 \
  --kbdiag "$kbdiag" --kb "$kb" --input "$work/fleet.ndjson" --output "$work/out" > "$work/spark-summary.txt"
spark=$(since "$start")

python3 - "$work" <<'PY'
import glob, json, sys
work = sys.argv[1]
plain = json.load(open(f"{work}/plain.json"))["summary"]
spark = json.load(open(f"{work}/out/summary.json"))["summary"]
for key in ["inputs", "errors", "rules", "needs_action_total", "rule_set"]:
    assert plain[key] == spark[key], f"{key}: plain {plain[key]} != spark {spark[key]}"
results = [json.loads(l) for f in sorted(glob.glob(f"{work}/out/results/part-*")) for l in open(f)]
assert len(results) == plain["inputs"], (len(results), plain["inputs"])
errors = [r for r in results if "error" in r]
assert len(errors) == plain["errors"] == 2, errors
digests = {r["id"]: r["digest"] for r in plain["rule_set"]}
# Each article's record once, with the digest the summary names; every result joins on one.
articles = {a["kb"]: a for a in (json.loads(l)["article"] for l in open(f"{work}/out/articles.ndjson"))}
assert {k: a["digest"] for k, a in articles.items()} == digests, "the records are the summary's rules"
rules = {a["rules"] for a in articles.values()}
assert len(rules) == 1, rules
for r in results:
    assert r["file"].startswith("part-") and r["line"] >= 1, r
    if "results" in r:
        assert r["rules"] in rules, r["rules"]
        # status -> article -> the evidence's positions; every article once.
        named = [kb for group in r["results"].values() for kb in group]
        assert sorted(named) == sorted(articles), named
        for status, group in r["results"].items():
            for kb, evidence in group.items():
                for i in evidence:
                    assert isinstance(r["texts"][i], str)
        for kb in r.get("details", {}):
            assert kb in articles, kb
print(f"spark: {len(results)} results, {plain['errors']} error records, counts equal to a plain run:",
      json.dumps(plain["rules"]))
PY
# A consumer in Spark SQL: the results read with a map schema (status -> article -> evidence),
# exploded to one row per (host, article), give the plain run's counts per article and status.
"$venv/bin/python" - "$work" <<'PY'
import json, sys
from pyspark.sql import SparkSession, functions as F
from pyspark.sql.types import ArrayType, LongType, MapType, StringType, StructField, StructType
work = sys.argv[1]
spark = SparkSession.builder.master("local[2]").appName("kbdiag-consumer").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
schema = StructType([
    StructField("host", StringType()),
    StructField("texts", ArrayType(StringType())),
    StructField("results", MapType(StringType(), MapType(StringType(), ArrayType(LongType())))),
])
rows = (spark.read.schema(schema).json(f"{work}/out/results")
        .select("host", F.explode("results").alias("status", "articles"))
        .select("host", "status", F.explode("articles").alias("kb", "evidence")))
counts = {}
for row in rows.groupBy("kb", "status").count().collect():
    counts.setdefault(row["kb"], {})[row["status"]] = row["count"]
spark.stop()
plain = json.load(open(f"{work}/plain.json"))["summary"]["rules"]
assert counts == plain, (counts, plain)
print(f"spark sql: {sum(sum(c.values()) for c in counts.values())} (host, article) rows, counts equal to a plain run")
PY
echo "plain kbdiag: ${plain}s; PySpark local[4], 4 partitions: ${spark}s ($hosts hosts)"
