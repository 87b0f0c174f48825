#!/usr/bin/env python3
"""check_samples.py - script test: normalize every shared sample record and validate.

Runs norm_dump over ../shared/samples/elastic/*.log (file ids), then checks:
  * one event per non-blank sample line, and no dead letters;
  * every event passes `ocsf_validate.py --strict` (reference/schemas.md §5) and
    the stricter checks of ocsf_strict.py (unique metadata.uid included);
  * the same with --keep-original (raw_data), and determinism (two runs, same bytes).
Usage: check_samples.py NORM_DUMP SHARED_DIR OUT_DIR
"""
import glob, os, subprocess, sys

def main():
    dump, shared, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    files = sorted(glob.glob(os.path.join(shared, "samples", "elastic", "*.log")))
    if not files:
        print("no sample files under", shared)
        return 1
    lines = 0
    for f in files:
        with open(f, "rb") as fh:
            lines += sum(1 for l in fh.read().split(b"\n") if l.strip())
    validator = os.path.join(shared, "reference", "tools", "ocsf_validate.py")
    strict = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ocsf_strict.py")
    bad = 0
    outputs = []
    for extra in ([], ["--keep-original"], []):
        r = subprocess.run([dump] + extra + files, capture_output=True)
        tag = "keep-original" if extra else "plain"
        if r.returncode != 0:
            print(f"norm_dump ({tag}) exited {r.returncode}:\n{r.stderr.decode(errors='replace')}")
            return 1
        events = [l for l in r.stdout.split(b"\n") if l.strip()]
        if len(events) != lines:
            print(f"{tag}: {len(events)} events for {lines} sample lines")
            bad += 1
        path = os.path.join(out, f"samples_{tag}.ndjson")
        with open(path, "wb") as fh:
            fh.write(r.stdout)
        v = subprocess.run([sys.executable, validator, "--strict", path], capture_output=True)
        sys.stdout.write(v.stdout.decode(errors="replace")[-4000:])
        if v.returncode != 0:
            print(f"{tag}: validator failed")
            bad += 1
        v = subprocess.run([sys.executable, strict, "--unique-uids", path], capture_output=True)
        sys.stdout.write(v.stdout.decode(errors="replace")[-4000:])
        if v.returncode != 0:
            print(f"{tag}: ocsf_strict.py failed")
            bad += 1
        outputs.append(r.stdout)
    if outputs[0] != outputs[2]:
        print("output differs between two identical runs")
        bad += 1
    print(f"{lines} sample records, {'FAIL' if bad else 'ok'}")
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
