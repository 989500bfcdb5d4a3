#!/usr/bin/env python3
"""The same diagnoses as kbdiag's on a synthetic fleet, as a plain script would write them: the
yardstick of issues 9 and 26 ("why not a Python script?"). Reads NDJSON facts on stdin, writes one
JSON line per host and, on stderr, the counts that benches/fleet.rs checks against kbdiag's own.
Uses orjson when installed (pip install orjson), the standard json module otherwise (said on
stderr).

    python3 bench/python_fleet.py < fleet.ndjson           # KB 322051 alone (the issue 9 fleet)
    python3 bench/python_fleet.py --kb kb < kb-fleet.ndjson  # the thirty articles of kb/

KB 322051 alone (no --kb): what the rule decides on these hosts (every host lists the three
DLLs): Windows NT 4.0 or not applicable; the DLLs' strengths (cipher_bits, or the article's file
table by name, size and UTC date and time); the SP6a prerequisite (6a, or 6 with Q246009 in the
complete hotfix list, the registry value when collected). One line per host (host, status,
action); on stderr the counts per status and action.

The knowledge base (--kb DIR): each article's conditions written out in Python below, one function
per condition, in three-valued logic (True, False, None for unknown: a fact the host lacks), from
the article's rule file; what is data in the rule files (ids and aliases, the file tables, what
installs each fix and which rollups include it, whether the cause shows itself or only a
trigger, the resolution's kind, the workaround) is read from DIR/*.yaml. Then the status and
action as docs/rules.md decides them. It handles the fact shapes benches/support/kb_fleet.rs
writes, and computes only what decides (symptoms when they can change the status, prerequisites
for an affected host). One line per host (host, and each article's status and action); on stderr
the counts per article, status and action. It does not build the report's text: kbdiag's output
says much more.
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


# ---------------------------------------------------------------------------------------------
# The knowledge base (--kb DIR).


class Unknown(Exception):
    """A fact the host lacks: the expression reading it is unknown."""


class RuleError(Exception):
    """What kbdiag reports as the status `error` (a comparison across types)."""


UNIT = object()  # a registry value the facts say does not exist, as Rhai's ()


def path_key(p):
    p = p.strip().replace("/", "\\").lower()
    while "\\\\" in p:
        p = p.replace("\\\\", "\\")
    return p.rstrip("\\") if len(p) > 1 else p


def registry_key(p):
    k = path_key(p)
    for long, short in (("hkey_local_machine", "hklm"), ("hkey_current_user", "hkcu"),
                        ("hkey_classes_root", "hkcr"), ("hkey_users", "hku")):
        if k.startswith(long):
            return short + k[len(long):]
    return k


def hotfix_key(i):
    i = i.strip().upper()
    for prefix in ("KB", "Q"):
        if i.startswith(prefix) and i[len(prefix):].isdigit():
            return i[len(prefix):].lstrip("0")
    return i


def service_pack(raw):
    """`Service Pack 6`, `SP6a`, `6a`... as `6`, `6a`; None when it is not a service pack."""
    t = raw.strip().split(",")[0].strip().lower()
    if t in ("", "none"):
        return "0"
    for p in ("service pack", "servicepack", "sp"):
        if t.startswith(p):
            t = t[len(p):].lstrip()
            break
    digits = len(t) - len(t.lstrip("0123456789"))
    number, letter = t[:digits], t[digits:]
    if digits == 0 or digits > 2 or not (letter == "" or (len(letter) == 1 and "a" <= letter <= "z")):
        return None
    return (number.lstrip("0") or "0") + letter


def version(raw):
    """A dotted version as a list of numbers, an annotation after a space or `(` ignored."""
    t = raw.strip().lower()
    for p in ("version", "v"):
        if t.startswith(p):
            t = t[len(p):].lstrip()
            break
    for sep in (" ", "\t", "(", ","):
        t = t.split(sep)[0]
    parts = t.split(".")
    if not all(p.isdigit() and len(p) <= 18 for p in parts):
        raise Unknown(raw)
    return [int(p) for p in parts]


def vcmp(a, b):
    n = max(len(a), len(b))
    a, b = a + [0] * (n - len(a)), b + [0] * (n - len(b))
    return (a > b) - (a < b)


def os_version(raw):
    return "%d.%d" % tuple((version(raw) + [0])[:2])


def word(c):
    return c.isalnum() or c == "_"


def find_token(haystack, needle):
    """Whether `needle` is in `haystack` as whole words, ignoring case."""
    needle = needle.strip().lower()
    if not needle:
        return False
    hay = haystack.lower()
    start = hay.find(needle)
    check_start, check_end = word(needle[0]), word(needle[-1])
    while start >= 0:
        end = start + len(needle)
        if (not check_start or start == 0 or not word(hay[start - 1])) and \
                (not check_end or end == len(hay) or not word(hay[end])):
            return True
        start = hay.find(needle, start + 1)
    return False


EVENT_TYPES = {"1": "error", "2": "warning", "4": "information", "8": "audit success",
               "16": "audit failure", "failure audit": "audit failure",
               "success audit": "audit success"}


def event_type(k):
    k = str(k).strip().lower()
    return EVENT_TYPES.get(k, k)


def sp_order(sp):
    digits = len(sp) - len(sp.lstrip("0123456789"))
    return (int(sp[:digits] or 0), sp[digits:].lower())


def platform(p):
    p = p.strip().lower()
    return "Alpha" if "alpha" in p else "MIPS" if "mips" in p else \
        "PowerPC" if ("ppc" in p or "powerpc" in p) else "x86"


class Host:
    """One host's facts, indexed once, and the helpers the articles' conditions call."""

    def __init__(self, h):
        self.h = h
        self.os = h.get("os")
        self.env = {k.lower(): v for k, v in (h.get("env") or {}).items()}
        files = h.get("files")
        self.files = None
        if files is not None:
            self.files = {}
            for f in files:
                self.files.setdefault(path_key(f["path"]), []).append(f)
        reg = h.get("registry")
        self.reg = None if reg is None else {registry_key(k): v for k, v in reg.items()}
        hf = h.get("hotfixes")
        self.hotfixes = None if hf is None else {hotfix_key(x) for x in hf}
        self.software = h.get("software")
        self.events = h.get("events")
        self.errors = h.get("reported_errors")
        self.rule = None

    # facts
    def fact(self, path):
        os_ = self.os or {}
        if path == "os.service_pack":
            if "service_pack" not in os_:
                raise Unknown(path)
            sp = service_pack(str(os_["service_pack"]))
            if sp is None:
                raise Unknown(path)
            return sp
        if path == "os.version":
            if "version" not in os_:
                raise Unknown(path)
            return os_version(str(os_["version"]))
        key = path[3:]
        if key not in os_:
            raise Unknown(path)
        return os_[key]

    def env_var(self, name):
        v = self.env.get(name.lower())
        if v is None:
            raise Unknown("env." + name)
        return v

    def expand(self, path):
        out, rest = "", path
        while "%" in rest:
            before, _, after = rest.partition("%")
            name, sep, after = after.partition("%")
            if not sep:
                out += before + "%" + name
                rest = ""
                break
            out += before + self.env_var(name)
            rest = after
        return out + rest

    # files
    def file(self, path):
        if self.files is None:
            raise Unknown(path)
        found = self.files.get(path_key(self.expand(path)))
        if not found:
            raise Unknown(path)
        first = found[0]
        same = lambda f: (f.get("size"), f.get("modified"), f.get("version"), f.get("cipher_bits"))
        if any(same(f) != same(first) for f in found[1:]):
            raise Unknown(path)
        return first

    def file_exists(self, path):
        return self.file(path).get("exists") is not False

    def file_collected(self, path):
        return self.files is not None and path_key(self.expand(path)) in self.files

    def file_bits(self, path):
        f = self.file(path)
        if f.get("exists") is False:
            raise Unknown(path)
        if "cipher_bits" in f:
            return f["cipher_bits"]
        size, m = f.get("size"), f.get("modified")
        if size is None or m is None:
            raise Unknown(path)
        name = path_key(f["path"]).rsplit("\\", 1)[-1]
        rows = [r for r in self.rule.table
                if r["file"].lower() == name and r.get("size") == size and r["date"] == m[:10]
                and (r.get("time") is None or len(m) < 16 or r["time"].strip() == m[11:16])]
        if rows and rows[0].get("bits") is not None and all(r.get("bits") == rows[0]["bits"] for r in rows):
            return rows[0]["bits"]
        raise Unknown(path)

    def fixed_file(self, path):
        r = self.rule
        name = path.replace("/", "\\").rsplit("\\", 1)[-1].lower()
        rows = [row for row in r.table if row["file"].lower() == name]
        f = self.file(path)
        if f.get("exists") is False:
            return False
        if len({row.get("bits") for row in rows}) > 1:
            b = f.get("cipher_bits", (self.os or {}).get("cipher_bits"))
            if b is not None:
                rows = [row for row in rows if row.get("bits") in (None, b)]
                if not rows:
                    return self.fix_installed()
        arch = self.env.get("processor_architecture")
        if arch is not None:
            arch = platform(arch)
            rows = [row for row in rows if row.get("platform") is None or platform(row["platform"]) == arch]
            if not rows:
                return self.fix_installed()
        orders = []
        for row in rows:
            hv = f.get("version")
            if hv is not None and row.get("version") is not None:
                try:
                    orders.append(vcmp(version(hv), version(row["version"])))
                    continue
                except Unknown:
                    if f.get("modified") is None:
                        raise
            m = f.get("modified")
            if m is None:
                raise Unknown(path)
            d = m[:10]
            orders.append((d > row["date"]) - (d < row["date"]))
        if not orders:
            raise Unknown(path)
        later, older = all(o >= 0 for o in orders), all(o < 0 for o in orders)
        if not later and not older:
            raise Unknown(path)
        return later

    # hotfixes and the registry
    def fix_installed(self):
        r = self.rule
        if self.reg is not None:
            for key, registry in r.sources:
                if self.reg.get(registry) == 1:
                    return True
        missing = False
        if self.hotfixes is None:
            missing = True
        elif any(key in self.hotfixes for key, _ in r.sources):
            return True
        if r.service_pack is not None:
            try:
                if sp_order(self.fact("os.service_pack")) >= sp_order(r.service_pack):
                    return True
            except Unknown:
                missing = True
        if missing:
            raise Unknown("fix")
        return False

    def has_hotfix(self, i):
        if self.hotfixes is None:
            raise Unknown("hotfixes")
        return hotfix_key(i) in self.hotfixes

    def registry_collected(self, path):
        return self.reg is not None and registry_key(path) in self.reg

    def registry(self, path, default=UNIT):
        if self.reg is None:
            raise Unknown(path)
        key = registry_key(path)
        if key not in self.reg:
            raise Unknown(path)
        v = self.reg[key]
        if v is None:
            return default
        if isinstance(v, dict):
            v = v["value"]
        if isinstance(v, bool):
            return int(v)
        return v

    def installed(self, q):
        """The rules' "Qnnnnnn is installed": its registry key when collected, else the list."""
        key = HOTFIX + q + "\\Installed"
        if self.registry_collected(key):
            return eq(self.registry(key, 0), 1)
        return self.has_hotfix(q)

    # software, events, reported errors
    def has_software(self, name):
        if self.software is None:
            raise Unknown("software")
        n = name.lower()
        return any(n in s.get("name", "").lower() for s in self.software)

    def software_version(self, name):
        if self.software is None:
            raise Unknown("software")
        n = name.lower()
        for s in self.software:
            if n in s.get("name", "").lower():
                if "version" not in s:
                    raise Unknown(name)
                return s["version"]
        raise Unknown(name)

    def event(self, source, id_, log=None, type=None, category=None, message=None, param=None):
        if self.events is None:
            raise Unknown("events")
        source = source.lower()
        for e in self.events:
            if e.get("id") is None or e["id"] & 0xFFFF != id_ & 0xFFFF:
                continue
            if e.get("source", "").strip().lower() != source:
                continue
            if log is not None and "log" in e and e["log"].strip().lower() != log.lower():
                continue
            if type is not None and "type" in e and event_type(e["type"]) != event_type(type):
                continue
            if category is not None and "category" in e and e["category"].strip().lower() != category.lower():
                continue
            if message is not None and "message" in e and not find_token(e["message"], message):
                continue
            if param is not None:
                if "message" in e:
                    if not find_token(e["message"], param):
                        continue
                elif "strings" in e and not any(find_token(s, param) for s in e["strings"]):
                    continue
            return True
        return False

    def reported(self, text):
        if self.errors is None:
            raise Unknown("reported_errors")
        return any(find_token(e, text) for e in self.errors)


HOTFIX = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\"


def eq(a, b):
    """Rhai's `==` as kbdiag runs it: across types an error, never false."""
    if type(a) is not type(b) or a is UNIT:
        raise RuleError("%r == %r" % (a, b))
    return a == b


# Three-valued conditions: each is a function of the host giving True, False or None.
def E(f):
    def run(h):
        try:
            return bool(f(h))
        except Unknown:
            return None
    return run


def All(*parts):
    def run(h):
        result = True
        for p in parts:
            v = p(h)
            if v is False:
                return False
            if v is None:
                result = None
        return result
    return run


def Any(*parts):
    def run(h):
        result = False
        for p in parts:
            v = p(h)
            if v is True:
                return True
            if v is None:
                result = None
        return result
    return run


def Not(part):
    def run(h):
        v = part(h)
        return None if v is None else not v
    return run


def icontains(hay, needle):
    if not isinstance(hay, str):
        raise RuleError("icontains on %r" % (hay,))
    return needle.lower() in hay.lower()


def ieq(a, b):
    if not isinstance(a, str):
        raise RuleError("ieq on %r" % (a,))
    return a.lower() == b.lower()


def between(v, low, high):
    return vcmp(v, version(low)) >= 0 and vcmp(v, version(high)) < 0


SR = "%SystemRoot%/System32/"
DRV = SR + "drivers/"
LM = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LMCompatibilityLevel"
PRODUCT_TYPE = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions\\ProductType"

NT = E(lambda h: icontains(h.fact("os.name"), "Windows NT"))
V40 = E(lambda h: eq(h.fact("os.version"), "4.0"))
NT4 = All(NT, V40)
SP = lambda *levels: E(lambda h: h.fact("os.service_pack") in levels)
SP6A = Any(E(lambda h: eq(h.fact("os.service_pack"), "6a")),
           All(E(lambda h: eq(h.fact("os.service_pack"), "6")), E(lambda h: h.installed("Q246009"))))


def server(h):
    """`if Workstation { false } else if Server { true } else { unknown }`."""
    if icontains(h.fact("os.name"), "Workstation"):
        return False
    if icontains(h.fact("os.name"), "Server"):
        return True
    raise Unknown("os.name")


def not_tse(h):
    return True if icontains(h.fact("os.name"), "Workstation") else \
        not ieq(h.fact("os.edition"), "Terminal Server")


def lm(test):
    """`let v = registry_or(LMCompatibilityLevel, 0); if type_of(v) == "i64" { … } else { unknown }`."""
    def f(h):
        v = h.registry(LM, 0)
        if not isinstance(v, int):
            raise Unknown(LM)
        return test(v)
    return E(f)


def fixed_or_hotfix(path):
    return E(lambda h: h.fixed_file(path) if h.file_collected(path) else h.fix_installed())


def exists(path):
    return E(lambda h: h.file_exists(path))


def reported(*texts):
    return Any(*(E(lambda h, t=t: h.reported(t)) for t in texts))


def event(source, id_, **filters):
    return E(lambda h: h.event(source, id_, **filters))


def dump(param):
    return event("Save Dump", 1001, log="System", param=param)


def installed(q):
    return E(lambda h: h.installed(q))


def ie_sp2(h):
    """KB 305929's test for Internet Explorer 5.5 SP2 or 5.01 SP2."""
    if any(h.has_software(n) for n in ("Internet Explorer 5.5 Service Pack 2", "Internet Explorer 5.5 SP2",
                                        "Internet Explorer 5.01 Service Pack 2", "Internet Explorer 5.01 SP2")):
        return True
    if not h.has_software("Internet Explorer"):
        return False
    if h.has_software("Internet Explorer 6"):
        return False
    v = version(h.software_version("Internet Explorer"))
    if v[0] == 5 and (v + [0])[1] in (50, 0):
        raise Unknown("software")
    return False


def exchange55(h):
    return h.has_software("Exchange Server") and between(version(h.software_version("Exchange Server")), "5.5", "5.6")


def syn_attack(h):
    v = h.registry("HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\SynAttackProtect")
    if v is UNIT:
        return False
    if isinstance(v, int):
        return v == 2
    raise Unknown("SynAttackProtect")


def lm5(h):
    v = h.registry("HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control\\LSA\\LmCompatibilitylevel")
    if v is UNIT:
        return False
    return eq(v, "5") if isinstance(v, str) else eq(v, 5)


def iis4(h):
    if h.has_software("Internet Information Server"):
        return version(h.software_version("Internet Information Server"))[0] == 4
    return False


def processors(h):
    n = h.env_var("NUMBER_OF_PROCESSORS").strip()
    if not n.lstrip("-").isdigit():
        raise RuleError("parse_int")
    return int(n) > 1


INETSRV = ["ADSIIS.dll", "ASP.dll", "HTTPODBC.dll", "IISCHEMA.dll", "IISLOG.dll", "INFOCOMM.dll",
           "ISCOMLOG.dll", "SSINC.dll", "SSPIFILT.dll", "W3SVC.dll", "WAM.dll"]
BITS = ["drivers/Ndiswan.sys", "Ntlmssps.dll", "Schannel.dll", "Security.dll"]

# Each article's conditions, as its rule file writes them: applies_to.when, cause.when, fixed,
# symptoms (by id; None for one only a person can report), prerequisites, workaround.first.
ARTICLES = {
    "KB147706": dict(
        applies=NT4,
        cause=Any(SP("0", "1", "2", "3"), lm(lambda v: v < 2)),
        prerequisites=[SP("4", "5", "6", "6a")]),
    "KB176820": dict(
        applies=NT4,
        symptoms={"reduced-functionality": None},
        cause=Any(*(E(lambda h, a=a, b=b: h.file_bits(SR + a) != h.file_bits(SR + b))
                    for i, a in enumerate(BITS) for b in BITS[i + 1:]))),
    "KB236414": dict(
        applies=All(NT, V40, SP("4", "5", "6", "6a")),
        symptoms={"shares-not-accessible": None},
        cause=lm(lambda v: v >= 3),
        fixed=E(lambda h: h.fix_installed())),
    "KB238185": dict(
        applies=NT4,
        symptoms={"event-577-lsaregisterlogonprocess": event(
            "Security", 577, log="Security", type="Failure Audit", category="Privilege Use",
            message="LsaRegisterLogonProcess")},
        cause=All(exists(SR + "Ntlmssps.dll"), exists(SR + "Security.dll")),
        fixed=All(fixed_or_hotfix(SR + "Ntlmssps.dll"), fixed_or_hotfix(SR + "Security.dll")),
        prerequisites=[SP6A]),
    "KB243655": dict(
        applies=All(NT, V40, E(server), SP("4", "5", "6", "6a")),
        symptoms={"trust-relationship-failed": reported(
            "The trust relationship between the primary domain and the trusted domain failed",
            "STATUS_TRUSTED_DOMAIN_FAILURE")},
        cause=All(E(lambda h: ieq(h.registry(PRODUCT_TYPE, ""), "LanmanNT")), lm(lambda v: v == 4)),
        fixed=fixed_or_hotfix(SR + "Netlogon.dll")),
    "KB246009": dict(
        applies=All(NT, V40, E(not_tse)),
        symptoms={"winsock-no-local-admin": None, "convlog-year-2028": None,
                  "stop-44-appletalk": Any(reported("0x00000044", "Stop 44"), dump("0x00000044 ("))},
        cause=E(lambda h: h.fact("os.service_pack") != "6a"),
        fixed=E(lambda h: eq(h.registry(HOTFIX + "Q246009\\Installed", 0), 1)
                if h.registry_collected(HOTFIX + "Q246009\\Installed") else h.fix_installed())),
    "KB249863": dict(
        applies=NT4,
        symptoms={"sgc-connection-fails": None},
        cause=All(exists(SR + "Schannel.dll"),
                  Any(E(lambda h: h.has_software("Internet Information Server")),
                      E(lambda h: h.has_software("Internet Explorer")))),
        fixed=fixed_or_hotfix(SR + "Schannel.dll"),
        prerequisites=[Any(E(lambda h: False if icontains(h.fact("os.name"), "Workstation")
                             else icontains(h.fact("os.edition"), "Terminal Server")), SP6A)]),
    "KB250867": dict(
        applies=NT4,
        symptoms={"standard-encryption-setup-message": reported(
            "You have chosen to install a version of the Service Pack with Standard Encryption onto a system with High Encryption")},
        cause=Any(E(lambda h: eq(h.file_bits(SR + "Schannel.dll"), 128)),
                  E(lambda h: h.has_software("High Encryption Pack")),
                  E(lambda h: h.has_software("Internet Explorer")
                    and between(version(h.software_version("Internet Explorer")), "5.5", "6")))),
    "KB272492": dict(
        applies=NT4,
        symptoms={"pop3-imap-not-authenticated": None},
        cause=E(lm5),
        fixed=All(fixed_or_hotfix(SR + "Advapi32.dll"), fixed_or_hotfix(SR + "Msv1_0.dll"))),
    "KB280119": dict(
        applies=NT4,
        symptoms={"privilege-elevation": None},
        cause=exists(SR + "Ntlmssps.dll"),
        fixed=fixed_or_hotfix(SR + "Ntlmssps.dll"),
        prerequisites=[Any(E(lambda h: eq(h.fact("os.service_pack"), "6a")),
                           All(E(lambda h: eq(h.fact("os.service_pack"), "6")), installed("Q246009")),
                           All(E(lambda h: eq(h.fact("os.service_pack"), "6")),
                               E(lambda h: ieq(h.fact("os.edition"), "Terminal Server"))))]),
    "KB281480": dict(
        applies=All(NT, V40, SP("5", "6", "6a")),
        symptoms={"no-network-resources": None, "secure-channel-broken": None,
                  "net-use-error-1788": reported(
                      "error 1788",
                      "The trust relationship between the primary domain and the trusted domain failed")},
        cause=lm(lambda v: v >= 3),
        fixed=All(*(fixed_or_hotfix(SR + f) for f in
                    ("drivers/Mup.sys", "Netapi32.dll", "Netlogon.dll", "Wkssvc.dll")))),
    "KB299444": dict(
        applies=All(NT, V40, E(not_tse)),
        cause=E(lambda h: icontains(h.fact("os.name"), "Windows NT") and eq(h.fact("os.version"), "4.0")),
        fixed=E(lambda h: h.fix_installed()),
        prerequisites=[SP6A]),
    "KB305228": dict(
        applies=All(NT, V40, SP6A),
        symptoms={"stop-0xa": Any(reported("0x0000000A", "STOP 0xA", "IRQL_NOT_LESS_OR_EQUAL"),
                                  dump("0x0000000a ("))},
        cause=All(installed("Q299444"), exists(DRV + "Cpqarray.sys")),
        fixed=E(lambda h: vcmp(version(h.file(DRV + "Cpqarray.sys").get("version") or _missing()),
                               version("4.24.0.0")) >= 0)),
    "KB305462": dict(
        applies=All(NT, V40, SP6A),
        symptoms={"mouse-keyboard-stop": None},
        cause=All(installed("Q299444"), E(lambda h: h.has_software("IntelliPoint")),
                  E(lambda h: between(version(h.software_version("IntelliPoint")), "2.0", "2.1"))),
        fixed=exists(DRV + "Msi8042.old")),
    "KB305929": dict(
        applies=All(NT, V40, SP6A),
        symptoms={"invalid-signature-message": reported("This certificate has an invalid digital signature")},
        cause=All(installed("Q299444"), E(ie_sp2)),
        fixed=All(fixed_or_hotfix(SR + "Crypt32.dll"), fixed_or_hotfix(SR + "Softpub.dll")),
        prerequisites=[SP6A]),
    "KB306513": dict(
        applies=NT4,
        symptoms={"hang-before-logon": None},
        cause=Any(Not(exists(SR + "Samsrv.dll")), Not(exists(SR + "Lsasrv.dll"))),
        prerequisites=[SP6A],
        workaround_first=Any(Not(exists(SR + "Samsrv.dll")), Not(exists(SR + "Lsasrv.dll")))),
    "KB307991": dict(
        applies=NT4,
        symptoms={"no-http-ftp-connection": None, "tcp-session-reset": None},
        cause=All(E(syn_attack), installed("Q299444")),
        fixed=fixed_or_hotfix(DRV + "Tcpip.sys"),
        prerequisites=[SP6A]),
    "KB308244": dict(
        applies=All(NT, V40, E(iis4)),
        symptoms={"http-500": reported("HTTP 500 - Internal server error", "HTTP 500 Internal server error"),
                  "error-0x80090301": reported("0x80090301", "-2146893055")},
        cause=All(installed("Q299444"), installed("Q301625")),
        fixed=All(*(fixed_or_hotfix(SR + "inetsrv/" + f) for f in INETSRV))),
    "KB310703": dict(
        applies=NT4,
        symptoms={"lexmark-driver-hang": None, "dcom-rpc-program-hang": None},
        cause=installed("Q299444"),
        fixed=fixed_or_hotfix(SR + "Rpcrt4.dll")),
    "KB314696": dict(
        applies=NT4,
        symptoms={"event-4320-netbt": event("NetBT", 4320, type="Error", category="None",
                                            message="name release message"),
                  "domain-1c-conflict": None},
        cause=E(lambda h: ieq(h.registry(PRODUCT_TYPE, ""), "LanmanNT")),
        fixed=fixed_or_hotfix(DRV + "Netbt.sys"),
        prerequisites=[SP6A]),
    "KB315101": dict(
        applies=All(NT, V40, SP6A),
        symptoms={"error-processing-command": reported("Error processing command"),
                  "print-job-not-deleted": None},
        cause=All(installed("Q299444"), exists(SR + "Nwwks.dll")),
        fixed=fixed_or_hotfix(SR + "Nwwks.dll")),
    "KB316211": dict(
        applies=NT4,
        symptoms={"copyto-hang": None},
        cause=Any(installed("Q299444"), installed("Q263490")),
        fixed=fixed_or_hotfix(SR + "Ole32.dll"),
        prerequisites=[SP6A]),
    "KB316772": dict(
        applies=All(NT, V40, E(exchange55)),
        symptoms={"event-1024-registry-checkpoint": Any(
            event("ClusSvc", 1024, log="System", type="Error", category="(64)", message="MSExchangeIMC"),
            event("ClusSvc", 1024, log="System", type="Error", category="(64)", message="MSExchangeIS"))},
        cause=E(lambda h: h.registry("HKLM\\SYSTEM\\CurrentControlSet\\Services\\ClusSvc\\Start") is not UNIT),
        fixed=All(fixed_or_hotfix(SR + "Services.exe"), fixed_or_hotfix(SR + "Winlogon.exe")),
        prerequisites=[SP6A]),
    "KB317252": dict(
        applies=NT4,
        symptoms={"stop-0x1e": Any(reported("0x0000001E", "KMODE_EXCEPTION_NOT_HANDLED"), dump("0x0000001e ("))},
        cause=All(installed("Q299444"), exists(DRV + "tcpip.sys"), exists(DRV + "netbt.sys"),
                  exists(DRV + "raspptpe.sys"))),
    "KB318420": dict(
        applies=NT4,
        symptoms={"stop-0x0000000a-netbt": All(Any(reported("0x0000000A"), dump("0x0000000a (")),
                                               reported("Netbt.sys"))},
        cause=All(installed("Q299444"), E(processors)),
        fixed=fixed_or_hotfix(DRV + "Netbt.sys"),
        prerequisites=[SP6A]),
    "KB320392": dict(
        applies=NT4,
        symptoms={"stop-0x0000000a-tcpip": Any(
            All(reported("0x0000000A"), reported("Tcpip.sys", "0xf21b173d")),
            All(dump("0x0000000a ("), dump("0xf21b173d)")))},
        cause=exists(DRV + "Tcpip.sys"),
        fixed=fixed_or_hotfix(DRV + "Tcpip.sys"),
        prerequisites=[SP6A]),
    "KB322051": dict(
        applies=NT4,
        symptoms={"no-connection": None,
                  "event-1008-move-mailbox": event(
                      "MSExchangeAdmin", 1008, category="Move Mailbox",
                      message="Could not bind to the Microsoft Exchange Directory server"),
                  "event-9318-rpc-bind": event("MSExchangeMTA", 9318, log="Application", type="Warning",
                                               category="Interface", message="NT/MTA error code: 5"),
                  "event-9322-mta-bindback": event("MSExchangeMTA", 9322, log="Application", type="Warning",
                                                   category="Interface", message="NT/MTA error code: 5"),
                  "ds-communications-problem": reported("DS_E_COMMUNICATIONS_PROBLEM", "DS_E_COMMUNICATION_PROBLEMS"),
                  "join-site-0xc103fc93": reported("0XC103FC93", "64659")},
        cause=All(E(lambda h: eq(h.file_bits(SR + "Schannel.dll"), 128)),
                  E(lambda h: eq(h.file_bits(SR + "Ntlmssps.dll"), 128)),
                  E(lambda h: eq(h.file_bits(SR + "Security.dll"), 56))),
        prerequisites=[SP6A]),
    "KB323310": dict(
        applies=NT4,
        symptoms={"stop-0x1e-netbt": Any(
            All(reported("0x1E", "0x0000001E"), reported("8011303c", "0x8011303c", "NetBT")),
            dump("0x0000001e (0xc0000005, 0x8011303c"))},
        cause=exists(DRV + "Netbt.sys"),
        fixed=fixed_or_hotfix(DRV + "Netbt.sys"),
        prerequisites=[SP6A]),
    "KB323733": dict(
        applies=All(E(exchange55), E(lambda h: icontains(h.fact("os.name"), "Windows 2000")),
                    E(lambda h: eq(h.fact("os.version"), "5.0"))),
        symptoms={"mail-queued-between-servers": None,
                  "event-9322-mta-bindback": event("MSExchangeMTA", 9322, log="Application", type="Warning",
                                                   message="NT/MTA error code: 5"),
                  "event-9318-rpc-bind": event("MSExchangeMTA", 9318, log="Application", type="Warning",
                                               message="NT/MTA error code: 5")},
        cause=Any(E(lambda h: h.has_software("Windows 2000 Security Rollup Package")),
                  E(lambda h: h.has_hotfix("Q311401")))),
    "KB325045": dict(
        applies=NT4,
        symptoms={"stop-0x50-rdr": All(Any(reported("0x00000050", "0x50", "Stop 50"), dump("0x00000050 (")),
                                       reported("Rdr.sys"))},
        cause=installed("Q299444"),
        fixed=fixed_or_hotfix(DRV + "Rdr.sys"),
        prerequisites=[SP6A]),
}


def _missing():
    raise Unknown("version")


ACTIONS = {"hotfix": "install-hotfix", "update": "install-update", "setting": "change-setting",
           "upgrade": "upgrade", "none": "none"}


class Article:
    """One article: its conditions (above) and what its rule file says as data."""

    def __init__(self, rule, conditions):
        self.id = rule["id"]
        self.names = {n.lower() for n in [rule["id"]] + rule.get("aliases", [])}
        self.trigger = rule["cause"].get("shows", "cause") == "trigger"
        resolution = rule.get("resolution") or {}
        self.has_resolution = bool(resolution)
        self.action = ACTIONS[resolution.get("kind", "hotfix")]
        self.table = [{k: (str(v) if k == "date" else v) for k, v in row.items()}
                      for row in resolution.get("files", [])]
        fix = rule.get("fix") or {}
        self.fix = fix
        self.service_pack = None if fix.get("service_pack") is None else str(fix["service_pack"])
        self.workaround = rule.get("workaround") is not None
        c = conditions
        self.applies, self.cause = c["applies"], c["cause"]
        self.fixed = c.get("fixed")
        self.prerequisites = c.get("prerequisites", [])
        self.workaround_first = c.get("workaround_first")
        symptoms = c.get("symptoms", {})
        ids = [s["id"] for s in rule.get("symptoms", [])]
        assert sorted(ids) == sorted(symptoms), (self.id, ids, sorted(symptoms))
        assert len(self.prerequisites) == len(rule.get("prerequisites", [])), self.id
        assert (self.fixed is None) == ("fixed" not in rule), self.id
        assert (self.workaround_first is None) == ("first" not in (rule.get("workaround") or {})), self.id
        self.symptoms = [(i.lower(), symptoms[i]) for i in ids]
        self.sources = []

    def hotfix_ids(self, rule):
        ids = self.fix.get("hotfixes") or rule.get("aliases", []) + [rule["id"]]
        unique = []
        for i in ids:
            if hotfix_key(i) not in [hotfix_key(u) for u in unique]:
                unique.append(i)
        return unique

    def seen(self, h):
        """Whether a symptom is observed: its condition, or a person's report."""
        people = {s.get("symptom", "").strip().lower() for s in h.h.get("reported_symptoms") or []
                  if s.get("rule", "").strip().lower() in self.names}
        return any(sid in people or (when is not None and when(h) is True) for sid, when in self.symptoms)

    def decide(self, h):
        h.rule = self
        applies = self.applies(h)
        if applies is False:
            return "not_applicable", "none"
        cause = self.cause(h)
        if cause is False:
            return "not_affected", "none"
        fixed = self.fixed(h) if self.fixed is not None else False
        if fixed is True:
            return "not_affected", "none"
        if applies is True and cause is True and fixed is False:
            if self.trigger and not self.seen(h):
                return "exposed", "watch"
            return "affected", self.remedy(h)
        return ("suspected" if self.seen(h) else "unknown"), "collect-facts"

    def remedy(self, h):
        if not self.has_resolution:
            return "apply-workaround" if self.workaround else "none"
        if any(p(h) is False for p in self.prerequisites):
            return "install-prerequisite"
        if self.workaround_first is not None and self.workaround and self.workaround_first(h) is True:
            return "apply-workaround"
        return self.action


def load(folder):
    import glob
    import os
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    rules = []
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml"))):
        if path.endswith(".tests.yaml"):
            continue
        with open(path, encoding="utf-8") as f:
            rules.append(yaml.load(f, Loader=loader))
    assert sorted(r["id"] for r in rules) == sorted(ARTICLES), "the rules and the script differ"
    articles = [Article(r, ARTICLES[r["id"]]) for r in rules]
    # What installs each fix: its hotfixes, then every rollup's that includes one of them.
    rollups = [(a, a.hotfix_ids(r)) for a, r in zip(articles, rules) if a.fix.get("includes")]
    for a, r in zip(articles, rules):
        ours = a.hotfix_ids(r)
        keys = {hotfix_key(i) for i in ours}
        for rollup, ids in rollups:
            if any(hotfix_key(i) in keys for i in rollup.fix["includes"]):
                ours = ours + ids
        a.sources = [(hotfix_key(i), registry_key(HOTFIX + "Q" + hotfix_key(i) + "\\Installed")) for i in ours]
    return articles


def main_kb(folder):
    articles = load(folder)
    counts = Counter()
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        doc = loads(line)
        h = Host(doc)
        results = []
        for a in articles:
            try:
                status, action = a.decide(h)
            except RuleError:
                status, action = "error", "none"
            counts[(a.id, status, action)] += 1
            results.append({"kb": a.id, "status": status, "action": action})
        out.write(dumps({"host": doc["host"], "results": results}) + b"\n")
    print(LIB, " ".join(f"{k}/{s}/{a}={n}" for (k, s, a), n in sorted(counts.items())), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--kb":
        main_kb(sys.argv[2])
    else:
        main()
