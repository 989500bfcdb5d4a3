#!/usr/bin/env python3
"""Writes a large legacy event log (EVT 1.1) for benchmarks: the records of a real log, in their
ring order, repeated until the file reaches a size, numbered anew, not wrapped.

    python3 bench/big_evt.py tests/fixtures/collect/real/SysEvent.Evt 64 /tmp/big.evt
"""
import struct
import sys


def records(data):
    """The records of an EVT file, oldest first, following its end-of-file record."""
    eof_magic = bytes([0x11] * 4 + [0x22] * 4 + [0x33] * 4 + [0x44] * 4)
    at = data.find(eof_magic) - 4
    first = struct.unpack_from("<I", data, at + 20)[0]
    end = at
    ring = data[0x30:]
    out, pos = [], first
    while pos != end:
        size = struct.unpack_from("<I", data, pos)[0] if pos + 4 <= len(data) else 0
        if pos + 0x38 > len(data) or size == 0x27:
            pos = 0x30
            continue
        rec = data[pos:pos + size]
        if len(rec) < size:  # split at the end of the file
            rec += data[0x30:0x30 + size - len(rec)]
        out.append(rec)
        pos += size
        if pos >= len(data):
            pos = 0x30 + (pos - len(data))
    return out


def main(src, megabytes, dst):
    recs = records(open(src, "rb").read())
    target = int(megabytes) * 1024 * 1024
    body = bytearray()
    number = 1
    while len(body) < target:
        for r in recs:
            r = bytearray(r)
            struct.pack_into("<I", r, 8, number)
            body += r
            number += 1
    eof = struct.pack("<I16sIIIII", 0x28, bytes([0x11] * 4 + [0x22] * 4 + [0x33] * 4 + [0x44] * 4),
                      0x30, 0x30 + len(body), number, 1, 0x28)
    size = 0x30 + len(body) + len(eof)
    header = struct.pack("<I4sIIIIIIIIII", 0x30, b"LfLe", 1, 1, 0x30, 0x30 + len(body), number, 1,
                         size, 0, 0, 0x30)
    with open(dst, "wb") as f:
        f.write(header + body + eof)
    print(f"{dst}: {number - 1} records, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(*sys.argv[1:])
