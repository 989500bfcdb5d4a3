#!/usr/bin/env python3
"""The same diagnosis as kbdiag's KB 322051 rule on the synthetic fleet, as a plain script would
write it: the yardstick of issue 9 ("why not a Python script?"). Reads NDJSON facts, writes one
JSON line per host (host, status, action) and, on stderr, the counts per status and action, which
benches/fleet.rs checks against kbdiag's own. Uses orjson when installed (pip install orjson), the
standard json module otherwise (said on stderr).

What it decides, as the rule does on these hosts (every host lists the three DLLs): Windows NT 4.0
or not applicable; the DLLs' strengths (cipher_bits, or the article's file table by name, size and
UTC date and time); the SP6a prerequisite (6a, or 6 with Q246009 in the complete hotfix list, the
registry value when collected). It does not build the report's text: kbdiag's output says much more.
"""
import sys
from collections import Counter

try:
    import orjson as json_lib

    loads, dumps, LIB = json_lib.loads, json_lib.dumps, "orjson"
except ImportError:  # pragma: no cover
    import json as json_lib

    loads, dumps, LIB = json_lib.loads, lambda v: json_lib.dumps(v).encode(), "json"

TABLE = {  # (file, size, date, time) -> bits, from the article's table
    ("ntlmssps.dll", 36112, "2001-07-16", "12:05"): {128, 56},
    ("security.dll", 59152, "1999-09-23", "11:04"): {128},
    ("security.dll", 59152, "1999-11-18", "12:04"): {56},
}
Q246009 = "hklm\\software\\microsoft\\windows nt\\currentversion\\hotfix\\q246009\\installed"


def bits(files, root, name):
    want = (root + "\\system32\\" + name).lower().replace("/", "\\")
    for f in files:
        if f.get("path", "").lower().replace("/", "\\") == want:
            if "cipher_bits" in f:
                return f["cipher_bits"]
            m = f.get("modified", "")
            found = TABLE.get((name, f.get("size"), m[:10], m[11:16]))
            return next(iter(found)) if found and len(found) == 1 else None
    return None


def diagnose(h):
    os_ = h.get("os", {})
    if "windows nt" not in os_.get("name", "").lower() or os_.get("version") != "4.0":
        return "not_applicable", "none"
    root = h.get("env", {}).get("SystemRoot", "").lower()
    files = h.get("files", [])
    got = [bits(files, root, n) for n in ("schannel.dll", "ntlmssps.dll", "security.dll")]
    want = [128, 128, 56]
    if any(g is not None and g != w for g, w in zip(got, want)):
        return "not_affected", "none"
    if None in got:
        return "unknown", "collect-facts"
    sp = str(os_.get("service_pack", "")).lower().replace("service pack", "").replace("sp", "").strip()
    hotfixes = [x.upper().replace("KB", "Q") for x in h.get("hotfixes", [])]
    registry = {k.lower(): v for k, v in (h.get("registry") or {}).items()}
    q246009 = registry[Q246009] == 1 if Q246009 in registry else "Q246009" in hotfixes
    met = sp == "6a" or (sp == "6" and q246009)
    return "affected", "install-hotfix" if met else "install-prerequisite"


def main():
    counts = Counter()
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        h = loads(line)
        status, action = diagnose(h)
        counts[(status, action)] += 1
        out.write(dumps({"host": h["host"], "status": status, "action": action}) + b"\n")
    print(LIB, " ".join(f"{s}/{a}={n}" for (s, a), n in sorted(counts.items())), file=sys.stderr)


main()
