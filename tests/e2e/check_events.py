#!/usr/bin/env python3
"""check_events.py - read NDJSON events on stdin and assert on them.

  check_events.py --count N            exactly N lines, each a JSON object
                  [--distinct-uids]    and N distinct metadata.uid values
                  [--sample-out FILE]  write the first --sample-n events to FILE (for the validator)
Prints one summary line; exits 1 with the reason on any violation.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--distinct-uids", action="store_true")
    ap.add_argument("--sample-out")
    ap.add_argument("--sample-n", type=int, default=2000)
    a = ap.parse_args()
    n = 0
    uids = set()
    cats = {}
    sample = open(a.sample_out, "w") if a.sample_out else None
    for line in sys.stdin.buffer:
        n += 1
        try:
            ev = json.loads(line)
        except ValueError as e:
            print(f"check_events: line {n} is not JSON: {e}")
            return 1
        if not isinstance(ev, dict):
            print(f"check_events: line {n} is not a JSON object")
            return 1
        md = ev.get("metadata", {})
        uid = md.get("uid")
        if a.distinct_uids:
            if not uid:
                print(f"check_events: line {n} has no metadata.uid")
                return 1
            uids.add(uid)
        cats[md.get("type")] = cats.get(md.get("type"), 0) + 1
        if sample and n <= a.sample_n:
            sample.write(line.decode("utf-8"))
    if sample:
        sample.close()
    if n != a.count:
        print(f"check_events: {n} events, expected {a.count}")
        return 1
    if a.distinct_uids and len(uids) != a.count:
        print(f"check_events: {len(uids)} distinct metadata.uid values for {n} events")
        return 1
    print(f"check_events: ok: {n} events, {len(uids)} distinct uids, categories {cats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
