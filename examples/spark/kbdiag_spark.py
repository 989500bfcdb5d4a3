#!/usr/bin/env python3
"""kbdiag as a stage of a Spark job: NDJSON fact documents in, NDJSON results and one summary out.

Each partition of the input is piped through one kbdiag process:

    kbdiag eval --quiet --exit-zero --format ndjson --summary-line --input ndjson --jobs 1 \
                --stdin-name part-NNNNN -

so every result line carries `file` (the partition), `line` (within it), `host`, the digest of
the rules (`rules`) and its `results`, each article's id under its status with what the host's
facts showed (`details` for the rest: docs/reports.md); a line that
is not a fact document becomes an error record, never a failed task (`--exit-zero`); the
partition's output starts with each article's record (`{"article": …}`: its texts, revision and
digest, written once rather than in every result) and ends with its summary, which
`kbdiag merge` adds up (refusing partitions evaluated with other rules). The job keeps each
record once, in OUTPUT/articles.ndjson, for a consumer to join the results on (`rules`, `kb`).

Locally (PySpark's local mode):

    python3 kbdiag_spark.py --master 'local[4]' --kbdiag target/release/kbdiag \
        --input fleet.ndjson --output out/

On a cluster, ship the binary and a pinned rules folder to every executor (docs/scale.md):

    spark-submit --files target/release/kbdiag --archives kb-6.0.tar.gz#kb \
        kbdiag_spark.py --kbdiag kbdiag --kb kb --input s3a://bucket/facts/ --output s3a://bucket/out/

Writes OUTPUT/results (text files, one result line per fact document), OUTPUT/articles.ndjson (each
article's record once), OUTPUT/partition-summaries.ndjson and OUTPUT/summary.json (merged), and
prints the merged summary.
"""

import argparse
import json
import os
import subprocess
import threading


def kbdiag_path(given):
    """The kbdiag binary: as given, or shipped with spark-submit --files."""
    if os.path.isabs(given) or os.path.exists(given):
        return os.path.abspath(given)
    from pyspark import SparkFiles

    return SparkFiles.get(given)


def evaluate_partition(kbdiag, kb, index, lines, detail="brief"):
    """Pipes one partition's lines through kbdiag; yields its output lines, summary last."""
    command = [kbdiag_path(kbdiag), "eval"]
    if kb:
        command += ["--kb", kb if os.path.isabs(kb) else os.path.abspath(kb)]
    command += [
        "--quiet", "--exit-zero", "--format", "ndjson", "--detail", detail, "--summary-line",
        "--input", "ndjson", "--jobs", "1", "--stdin-name", "part-%05d" % index, "-",
    ]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
    )

    def feed():
        try:
            for line in lines:
                process.stdin.write(line + "\n")
        finally:
            process.stdin.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    for line in process.stdout:
        yield line.rstrip("\n")
    feeder.join()
    # With --exit-zero, a non-zero status means kbdiag itself could not run (rules, output):
    # that task must fail, not pass with missing results.
    if process.wait() != 0:
        raise RuntimeError("kbdiag exited with %d on partition %d" % (process.returncode, index))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="NDJSON fact documents (file, folder, glob, URL)")
    parser.add_argument("--output", required=True, help="a folder that does not exist yet")
    parser.add_argument("--kbdiag", default="kbdiag", help="the kbdiag binary (or its name under --files)")
    parser.add_argument("--kb", help="a rules folder or rule file (default: the rules built into kbdiag)")
    parser.add_argument("--partitions", type=int, help="repartition the input into this many")
    parser.add_argument("--detail", choices=["brief", "full"], default="brief",
                        help="full: every result carries its article's texts (no records)")
    parser.add_argument("--master", help="e.g. local[4] (default: as spark-submit says)")
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("kbdiag")
    if args.master:
        builder = builder.master(args.master)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    facts = spark.sparkContext.textFile(args.input)
    if args.partitions:
        facts = facts.repartition(args.partitions)
    kbdiag, kb, detail = args.kbdiag, args.kb, args.detail
    out = facts.mapPartitionsWithIndex(
        lambda index, lines: evaluate_partition(kbdiag, kb, index, lines, detail)
    ).cache()

    results = out.filter(lambda line: not line.startswith(('{"summary"', '{"article"')))
    results.saveAsTextFile(os.path.join(args.output, "results"))
    summaries = out.filter(lambda line: line.startswith('{"summary"')).collect()
    # Every partition starts with the same records when its rules are the same: kept once.
    articles = out.filter(lambda line: line.startswith('{"article"')).distinct().collect()
    spark.stop()

    os.makedirs(args.output, exist_ok=True)
    records = sorted((json.loads(line)["article"] for line in articles), key=lambda a: a["kb"])
    if len({(a["kb"], a["digest"]) for a in records}) != len({a["kb"] for a in records}):
        raise RuntimeError("the partitions were evaluated with different rules")
    with open(os.path.join(args.output, "articles.ndjson"), "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"article": a}, ensure_ascii=False) + "\n" for a in records)
    partition_summaries = os.path.join(args.output, "partition-summaries.ndjson")
    with open(partition_summaries, "w", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in summaries)
    local_kbdiag = os.path.abspath(args.kbdiag)
    merged = subprocess.run(
        [local_kbdiag, "merge", "--exit-zero", "--format", "json", partition_summaries],
        check=True, capture_output=True, text=True,
    ).stdout
    with open(os.path.join(args.output, "summary.json"), "w", encoding="utf-8") as f:
        f.write(merged)
    print(subprocess.run(
        [local_kbdiag, "merge", "--exit-zero", partition_summaries],
        check=True, capture_output=True, text=True,
    ).stdout, end="")


if __name__ == "__main__":
    main()
