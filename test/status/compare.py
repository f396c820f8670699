"""compare.py - is `abortclose --status --json` the same report as the text?

    python3 compare.py TEXT_FILE JSON_FILE

Parses the text output (the format of abortclose(1)) and the JSON document
and compares every field both carry: pid, command line, loaded, library,
policy (valid, error, every value, which were set), the armed-state note,
every socket line and the counts.  Prints "same: N processes" and exits 0,
or prints the first difference and exits 1.
"""
import json
import re
import sys

SOCK = re.compile(r"^  fd=(\d+) local=(\S+) peer=(\S+) state=(\S+) (\S+)$")
COUNT = re.compile(r"^  (\d+) connections: (\d+) armed, (\d+) disarmed, (\d+) own-linger"
                   r"(?:, (\d+) unknown)?(?: \(listeners not counted: (\d+)\))?$")


def unescape_text(s):
    """The text output shows a byte as \\xNN; JSON shows it as \\u00NN."""
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def parse_text(text):
    procs = []
    for line in text.splitlines():
        m = re.match(r"^pid (\d+): (.*)$", line)
        if m:
            p = {"pid": int(m.group(1)), "cmdline": unescape_text(m.group(2)),
                 "loaded": None, "library": None, "policy": None,
                 "armed_known": True, "armed_unknown_reason": None,
                 "sockets": [], "counts": None}
            procs.append(p)
            continue
        p = procs[-1]
        if line == "  libabortclose: not loaded":
            p["loaded"] = False
        elif line.startswith("  libabortclose: loaded ("):
            p["loaded"] = True
            p["library"] = unescape_text(line[len("  libabortclose: loaded ("):-1])
        elif line.startswith("  policy: invalid: "):
            p["policy"] = {"valid": False, "error": unescape_text(line[len("  policy: invalid: "):]),
                           "note": None, "values": {}, "set": []}
        elif line.startswith("  policy: "):
            set_part, defaults = line[len("  policy: "):].split("; defaults:", 1)
            values, set_names = {}, []
            if set_part != "(none set)":
                for kv in set_part.split(" "):
                    k, v = kv.split("=", 1)
                    values[k] = unescape_text(v)
                    set_names.append(k)
            for kv in defaults.split():
                k, v = kv.split("=", 1)
                values[k] = unescape_text(v)
            p["policy"] = {"valid": True, "error": None, "note": None,
                           "values": values, "set": set_names}
        elif line.startswith("  policy note: "):
            p["policy"]["note"] = unescape_text(line[len("  policy note: "):])
        elif line.startswith("  armed state: unknown: "):
            p["armed_known"] = False
            reason = line[len("  armed state: unknown: "):]
            p["armed_unknown_reason"] = reason.split("; sockets from /proc/")[0]
        elif SOCK.match(line):
            fd, local, peer, state, armed = SOCK.match(line).groups()
            p["sockets"].append({"fd": int(fd), "local": local, "peer": peer,
                                 "state": state, "armed": armed})
        elif COUNT.match(line):
            c = [int(x) if x else 0 for x in COUNT.match(line).groups()]
            p["counts"] = {"connections": c[0], "armed": c[1], "disarmed": c[2],
                           "own_linger": c[3], "unknown": c[4], "listeners": c[5]}
        else:
            raise SystemExit("text line not understood: %r" % line)
    return procs


def main():
    text = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read()
    doc = json.load(open(sys.argv[2], encoding="utf-8"))
    procs = parse_text(text)
    if not isinstance(doc, list) or len(doc) != len(procs):
        print("differ: %d processes in the text, JSON has %r" % (len(procs), type(doc)))
        return 1
    for t, j in zip(procs, doc):
        j = dict(j)
        for s in j.get("sockets", []):
            s.pop("linger", None)  # the text shows only the verdict
        for key in t:
            if t[key] != j.get(key):
                print("differ: pid %s %s: text %r, json %r" % (t["pid"], key, t[key], j.get(key)))
                return 1
    print("same: %d processes" % len(procs))
    return 0


sys.exit(main())
