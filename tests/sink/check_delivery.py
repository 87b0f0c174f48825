#!/usr/bin/env python3
"""check_delivery.py - what a sink received, against what the spool held.

  check_delivery.py ref --sluice BIN --spool DIR --out REF
      Save the event lines of every sealed segment of DIR, one file per segment:
      REF/<shard>/<segno>.ndjson (via `sluice spool cat` on a one-segment spool).
      Run it while the segments are still there (before a run with a sink).

  check_delivery.py check --ref REF --received FILE [--max-dups N] [--shards-only S,..]
      FILE is what flaky_http.py recorded ("#batch shard= segno= line= lines=" headers,
      each followed by the batch's lines). Asserts:
        - every batch's lines are exactly lines [line, line+lines) of that segment;
        - per shard, the received lines with repeats removed (first time seen) are
          exactly the shard's segments, in segno order: every event arrived, in order;
        - at most N repeats in all (--max-dups; default: no limit).
      Prints one JSON line: events, unique, dups, batches.

  check_delivery.py retention --ref REF --received FILE --spool DIR
      Every segment of REF that is gone from DIR (or emptied) was delivered in full.
      Prints one JSON line: segments, deleted, kept.

Exits 1 with "FAIL: ..." on the first violation.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def seg_files(spool):
    for sh in sorted((d for d in os.listdir(spool) if d.isdigit()), key=int):
        sdir = os.path.join(spool, sh)
        if not os.path.isdir(sdir):
            continue
        for f in sorted(os.listdir(sdir)):
            if len(f) == 24 and f.endswith(".seg") and f[:20].isdigit():
                yield int(sh), int(f[:20]), os.path.join(sdir, f)


def cmd_ref(a):
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for sh, segno, path in seg_files(a.spool):
            one = os.path.join(tmp, f"{sh}-{segno}")
            os.makedirs(os.path.join(one, "0"))
            os.symlink(os.path.abspath(path), os.path.join(one, "0", f"{segno:020d}.seg"))
            out = subprocess.run([a.sluice, "spool", "cat", one], capture_output=True, check=True)
            os.makedirs(os.path.join(a.out, str(sh)), exist_ok=True)
            with open(os.path.join(a.out, str(sh), f"{segno}.ndjson"), "wb") as f:
                f.write(out.stdout)
            n += 1
    print(json.dumps({"segments": n}))


def load_ref(refdir):
    ref = {}
    for sh in sorted((d for d in os.listdir(refdir) if d.isdigit()), key=int):
        segs = {}
        for f in os.listdir(os.path.join(refdir, sh)):
            with open(os.path.join(refdir, sh, f), "rb") as fh:
                segs[int(f.split(".")[0])] = fh.read().splitlines()
        ref[int(sh)] = dict(sorted(segs.items()))
    return ref


def load_received(path):
    batches = []
    cur = None
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if line.startswith(b"#batch "):
                kv = dict(p.split("=", 1) for p in line[7:].decode().split() if "=" in p)
                cur = {"shard": int(kv["shard"]), "segno": int(kv["segno"]),
                       "line": int(kv["line"]), "lines": int(kv["lines"]), "events": []}
                batches.append(cur)
            else:
                if cur is None:
                    fail(f"{path}: event line before any #batch header")
                cur["events"].append(line)
    return batches


def cmd_check(a):
    ref = load_ref(a.ref)
    batches = load_received(a.received)
    per_shard = {}
    for i, b in enumerate(batches):
        segs = ref.get(b["shard"])
        if segs is None or b["segno"] not in segs:
            fail(f"batch {i}: shard {b['shard']} segment {b['segno']} is not in the reference")
        want = segs[b["segno"]][b["line"]:b["line"] + b["lines"]]
        if len(b["events"]) != b["lines"]:
            fail(f"batch {i}: header says {b['lines']} lines, body has {len(b['events'])}")
        if b["events"] != want:
            fail(f"batch {i} (shard {b['shard']} segno {b['segno']} line {b['line']}): lines "
                 "differ from that segment's lines at that position")
        per_shard.setdefault(b["shard"], []).extend(b["events"])
    total = uniq = 0
    for sh, segs in ref.items():
        want = [l for s in segs.values() for l in s]
        seen = set()
        first = []
        for l in per_shard.get(sh, []):
            total += 1
            if l not in seen:
                seen.add(l)
                first.append(l)
        uniq += len(first)
        if len(first) != len(want):
            fail(f"shard {sh}: {len(first)} distinct events arrived, the spool had {len(want)}")
        if first != want:
            k = next(i for i, (x, y) in enumerate(zip(first, want)) if x != y)
            fail(f"shard {sh}: events out of order from event {k} on")
    dups = total - uniq
    if a.max_dups is not None and dups > a.max_dups:
        fail(f"{dups} events arrived more than once (at most {a.max_dups} allowed)")
    print(json.dumps({"events": total, "unique": uniq, "dups": dups, "batches": len(batches)}))


def cmd_retention(a):
    ref = load_ref(a.ref)
    got = set()
    if os.path.exists(a.received):
        for b in load_received(a.received):
            got.update(b["events"])
    segs = deleted = 0
    for sh, ss in ref.items():
        for segno, lines in ss.items():
            segs += 1
            p = os.path.join(a.spool, str(sh), f"{segno:020d}.seg")
            if os.path.exists(p) and os.path.getsize(p) > 0:
                continue
            deleted += 1
            missing = [l for l in lines if l not in got]
            if missing:
                fail(f"segment {sh}/{segno} was deleted, but {len(missing)} of its "
                     f"{len(lines)} events were never delivered")
    print(json.dumps({"segments": segs, "deleted": deleted, "kept": segs - deleted}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("ref")
    r.add_argument("--sluice", required=True)
    r.add_argument("--spool", required=True)
    r.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--ref", required=True)
    c.add_argument("--received", required=True)
    c.add_argument("--max-dups", type=int)
    t = sub.add_parser("retention")
    t.add_argument("--ref", required=True)
    t.add_argument("--received", required=True)
    t.add_argument("--spool", required=True)
    a = ap.parse_args()
    {"ref": cmd_ref, "check": cmd_check, "retention": cmd_retention}[a.cmd](a)


if __name__ == "__main__":
    main()
