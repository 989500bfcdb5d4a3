#!/bin/sh
# `kbdiag collect IMAGE` against `kbdiag collect FOLDER` (issue 27): the time to collect the
# example volume's facts from each test disk (tests/fixtures/images: NTFS and FAT16 in every
# container) and from the folder, the median of ROUNDS runs each, and the bytes read from the
# image (strace's read/pread64 totals) against the image's size: the facts should cost about
# what reading their files costs, never a scan of the disk.
#
#   bench/image.sh [ROUNDS]      # default 11; needs python3 and strace. Figures: docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-11}
cargo build --release --quiet --bin kbdiag
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for f in tests/fixtures/images/ntfs*.xz tests/fixtures/images/fat16*.xz; do
  xz -dc "$f" > "$T/$(basename "$f" .xz)"
done
python3 - "$T" "$ROUNDS" <<'PY'
import os, re, statistics, subprocess, sys, time
work, rounds = sys.argv[1], int(sys.argv[2])
kbdiag = "target/release/kbdiag"
args = ["collect", "--collected", "2026-01-01T00:00:00Z"]

def run(target):
    start = time.perf_counter()
    subprocess.run([kbdiag, *args, target], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start

def bytes_read(target):
    log = os.path.join(work, "strace.log")
    subprocess.run(["strace", "-f", "-e", "trace=openat,read,pread64", "-o", log,
                    kbdiag, *args, target], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    fds, total = set(), 0
    base = os.path.basename(target)
    for line in open(log):
        m = re.search(r'openat\(.*"([^"]*)".*= (\d+)$', line)
        if m and os.path.basename(m.group(1)).startswith(base.split(".")[0]):
            fds.add(m.group(2))
        m = re.search(r'(?:pread64|read)\((\d+),.*= (\d+)$', line)
        if m and m.group(1) in fds:
            total += int(m.group(2))
    return total

targets = [("folder examples/volumes/nt4-srp", "examples/volumes/nt4-srp", None)]
for name in sorted(os.listdir(work)):
    if name.endswith(".log") or name.endswith("-flat-flat.vmdk"):
        continue
    path = os.path.join(work, name)
    size = os.path.getsize(path)
    if name.endswith("-flat.vmdk"):  # the descriptor, and its extent beside it
        size += os.path.getsize(path.replace("-flat.vmdk", "-flat-flat.vmdk"))
    targets.append((name, path, size))
print(f"| input | median of {rounds} | fastest | read from the image | image size |")
print("|---|---:|---:|---:|---:|")
for name, path, size in targets:
    times = [run(path) for _ in range(rounds)]
    read = bytes_read(path) if size else None
    shown = f"{read / 1024:,.0f} KiB" if read is not None else ""
    total = f"{size / 1048576:,.1f} MiB" if size else ""
    print(f"| {name} | {statistics.median(times) * 1000:.1f} ms | {min(times) * 1000:.1f} ms "
          f"| {shown} | {total} |")
PY
