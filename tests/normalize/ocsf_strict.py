#!/usr/bin/env python3
"""ocsf_strict.py - checks on sluice's OCSF events that ocsf_validate.py leaves out.

ocsf_validate.py --strict (../shared/reference/tools) checks events against the
OCSF schema files. Issue 3 asks for stricter checks where it is lenient, added in
tests/ rather than loosening anything. This script is run after it, on the same
NDJSON files, and fails on:

  time      an integer *_time / time outside 2000-01-01 .. 2100-01-01 in ms
            (the schema only says "long": seconds or microseconds would pass)
  empty     a string that is "" or "-" (schemas.md §4: both mean absent), a null,
            an empty object or an empty array, outside `unmapped` and `raw_data`
  hash      a fingerprint whose value is not hex of its algorithm's length
            (MD5 32, SHA-1 40, SHA-256 64, SHA-512 128)
  port      a *_port / port that is not an integer in 0..65535 (the schema checks
            port_t, not every object that names a port)
  uid       two events with the same metadata.uid in one run (--unique-uids)
  unmapped  `unmapped` that is not an object, or a value in it that is null

Usage: ocsf_strict.py [--unique-uids] FILE...   (NDJSON; exit 1 on any finding)
       ocsf_strict.py --self-test               (every rule must fire on a bad event)
"""
import json
import re
import sys

MIN_MS = 946684800000    # 2000-01-01T00:00:00Z
MAX_MS = 4102444800000   # 2100-01-01T00:00:00Z
HASH_LEN = {1: 32, 2: 40, 3: 64, 4: 128}
HEX = re.compile(r"^[0-9a-fA-F]+$")
FREE = ("unmapped", "raw_data", "data")  # json_t / free-form members


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def walk(v, path, out):
    if isinstance(v, dict):
        if not v:
            out.append(("empty", path, "empty object"))
        for k, x in v.items():
            p = f"{path}.{k}" if path else k
            if k in FREE:
                continue
            if x is None:
                out.append(("empty", p, "null"))
                continue
            if (k == "time" or k.endswith("_time")) and is_int(x) and not MIN_MS <= x < MAX_MS:
                out.append(("time", p, f"{x} is not a time in ms between 2000 and 2100"))
            if (k == "port" or k.endswith("_port")) and not (is_int(x) and 0 <= x <= 65535):
                out.append(("port", p, f"{x!r} is not a port"))
            if k == "fingerprints" and isinstance(x, list):
                for i, f in enumerate(x):
                    if not isinstance(f, dict):
                        continue
                    want = HASH_LEN.get(f.get("algorithm_id"))
                    val = f.get("value")
                    if want and (not isinstance(val, str) or len(val) != want
                                 or not HEX.match(val)):
                        out.append(("hash", f"{p}[{i}]", f"{val!r} is not a {want}-digit hex hash"))
            walk(x, p, out)
    elif isinstance(v, list):
        if not v:
            out.append(("empty", path, "empty array"))
        for i, x in enumerate(v):
            if x is None:
                out.append(("empty", f"{path}[{i}]", "null"))
            walk(x, f"{path}[{i}]", out)
    elif isinstance(v, str):
        if v in ("", "-"):
            out.append(("empty", path, f"{v!r} (absent values are left out)"))


def check_event(ev):
    out = []
    walk(ev, "", out)
    um = ev.get("unmapped")
    if um is not None:
        if not isinstance(um, dict):
            out.append(("unmapped", "unmapped", "is not an object"))
        else:
            for k, x in um.items():
                if x is None:
                    out.append(("unmapped", f"unmapped.{k}", "null"))
    return out


def check_files(paths, unique):
    bad = 0
    seen = {}
    n = 0
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for ln, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                n += 1
                ev = json.loads(line)
                finds = check_event(ev)
                uid = ev.get("metadata", {}).get("uid")
                if unique and uid is not None:
                    if uid in seen:
                        finds.append(("uid", "metadata.uid", f"{uid} already at {seen[uid]}"))
                    else:
                        seen[uid] = f"{path}:{ln}"
                for rule, p, msg in finds:
                    bad += 1
                    if bad <= 50:
                        print(f"{path}:{ln}: [{rule}] {p}: {msg}")
    print(f"ocsf_strict: {n} events, {bad} findings")
    return 1 if bad or not n else 0


def self_test():
    good = {
        "time": 1689768790748, "class_uid": 1007,
        "metadata": {"uid": "u1", "logged_time": 1689768790748},
        "process": {"pid": 4, "file": {"name": "a.exe", "hashes": [
            {"algorithm_id": 2, "value": "a" * 40}]}},
        "src_endpoint": {"ip": "10.0.0.1", "port": 443},
        "unmapped": {"X": ""},
    }
    if check_event(good):
        print("self-test: a good event has findings:", check_event(good))
        return 1
    cases = [
        ("time", lambda e: e.update(time=1689768790)),
        ("time", lambda e: e["metadata"].update(logged_time=1689768790748000)),
        ("empty", lambda e: e["process"].update(cmd_line="")),
        ("empty", lambda e: e["process"].update(cmd_line="-")),
        ("empty", lambda e: e.update(user=None)),
        ("empty", lambda e: e.update(user={})),
        ("empty", lambda e: e["process"]["file"].update(hashes=[])),
        ("hash", lambda e: e["process"]["file"].update(fingerprints=[
            {"algorithm_id": 3, "value": "abc"}])),
        ("hash", lambda e: e["process"]["file"].update(fingerprints=[
            {"algorithm_id": 1, "value": "z" * 32}])),
        ("port", lambda e: e["src_endpoint"].update(port=70000)),
        ("port", lambda e: e["src_endpoint"].update(port="443")),
        ("unmapped", lambda e: e.update(unmapped=[1])),
        ("unmapped", lambda e: e["unmapped"].update(Y=None)),
    ]
    bad = 0
    for rule, mutate in cases:
        ev = json.loads(json.dumps(good))
        mutate(ev)
        rules = {r for r, _, _ in check_event(ev)}
        if rule not in rules:
            print(f"self-test: rule {rule} did not fire on {json.dumps(ev)[:200]}")
            bad += 1
    import tempfile, os
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as t:
        t.write(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    try:
        if check_files([t.name], True) == 0:
            print("self-test: rule uid did not fire on a repeated metadata.uid")
            bad += 1
    finally:
        os.unlink(t.name)
    print(f"self-test: {len(cases) + 1} cases, {'FAIL' if bad else 'ok'}")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    unique = "--unique-uids" in argv
    paths = [a for a in argv[1:] if a != "--unique-uids"]
    if not paths:
        print(__doc__)
        return 2
    return check_files(paths, unique)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
