#!/usr/bin/env python3
"""check_golden.py - golden test: every shared sample record's OCSF output, field by field.

For each ../shared/samples/elastic/<file>.log, golden/<file>.ndjson holds the expected
event of every line (file ids "file|<file>|<line>", so metadata.uid is fixed). The test
runs norm_dump on the sample and compares each event with its golden line as parsed JSON
(key order ignored), reporting every differing path. The goldens themselves must pass
ocsf_validate.py --strict. Rewrite them with regen_golden.sh (never from this test).
derived_records.jsonl (this folder; written by make_derived.py) adds records for the
categories and ActionTypes the samples lack; golden/derived_records.ndjson holds its events.
The test also checks that every one of the 18 categories (schemas.md §1, metadata.type)
appears in at least one golden event.
Usage: check_golden.py NORM_DUMP SHARED_DIR
"""
import glob, json, os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CATEGORIES = ["Antivirus", "Auth", "DNS", "File Collection", "HTTP", "NIDS", "Netflow", "Process",
              "File Modification", "API Call", "Registry", "Scriptblock", "Management",
              "Persistence", "Thread Injection", "Detection Finding", "Technique Finding",
              "Generic"]

def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: missing in output")
            elif k not in b:
                out.append(f"{path}.{k}: not in golden ({json.dumps(a[k])[:80]})")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {json.dumps(a)[:80]} != golden {json.dumps(b)[:80]}")

def main():
    dump, shared = sys.argv[1], sys.argv[2]
    files = sorted(glob.glob(os.path.join(shared, "samples", "elastic", "*.log")))
    files.append(os.path.join(HERE, "derived_records.jsonl"))
    seen = set()
    bad = 0
    goldens = []
    for f in files:
        name = os.path.basename(f)
        gpath = os.path.join(HERE, "golden", os.path.splitext(name)[0] + ".ndjson")
        if not os.path.exists(gpath):
            print(f"{name}: no golden file {gpath}")
            bad += 1
            continue
        goldens.append(gpath)
        r = subprocess.run([dump, f], capture_output=True)
        got = [json.loads(l) for l in r.stdout.split(b"\n") if l.strip()]
        want = [json.loads(l) for l in open(gpath, "rb").read().split(b"\n") if l.strip()]
        seen.update(e.get("metadata", {}).get("type") for e in want)
        if len(got) != len(want):
            print(f"{name}: {len(got)} events, golden has {len(want)}")
            bad += 1
        for i, (a, b) in enumerate(zip(got, want), 1):
            out = []
            diff(a, b, "", out)
            for o in out:
                print(f"{name} line {i}: {o}")
            bad += bool(out)
    missing = [c for c in CATEGORIES if c not in seen]
    if missing:
        print(f"categories without a golden event: {missing}")
        bad += 1
    validator = os.path.join(shared, "reference", "tools", "ocsf_validate.py")
    v = subprocess.run([sys.executable, validator, "--strict"] + goldens, capture_output=True)
    if v.returncode != 0:
        print(v.stdout.decode(errors="replace")[-3000:])
        bad += 1
    strict = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ocsf_strict.py")
    v = subprocess.run([sys.executable, strict] + goldens, capture_output=True)
    if v.returncode != 0:
        print(v.stdout.decode(errors="replace")[-3000:])
        bad += 1
    print(f"{len(files)} sample files, {len(seen & set(CATEGORIES))} categories, "
          f"{'FAIL' if bad else 'ok'}")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
