#!/usr/bin/env python3
"""crash.py - kill `sluice run` over and over and prove nothing is lost (issue 4).

A synthetic capture (default 200,000 events over 4 partitions) is run through
`sluice run --until-caught-up` into one spool. First the process is killed at
every named fail point (SLUICE_FAILPOINTS=<name>=kill@N, N random: the process
SIGKILLs itself there), then with SIGKILL at random times, restarting each time,
then it runs to the end. A dir: forwarder runs along, keeping what it delivered. After every kill the persisted checkpoint file is read
(it must parse, and no partition may go backwards). At the end:

  * `sluice spool verify` passes, and every sealed segment was delivered to the
    dir: sink as a byte-identical copy;
  * every event of the capture is in the spool at least once, and after
    de-duplication by metadata.uid the spool equals a clean run's output, line
    for line (so no event at or below any persisted checkpoint is missing: a
    restart resumes after the checkpoint and never reads those again);
  * every duplicated message lies just above a checkpoint persisted at some
    kill, within the in-flight bound (--inflight-bytes + --batch-bytes of the
    partition's smallest messages), and the duplicates in all are at most the
    sum of those bounds.

Each event's partition and sequence number come from its metadata.uid, the
UUIDv5 of "eh|<ns>|<hub>|<partition>|<seq>|<index>" (normalize/norm_uuid.c).

usage: crash.py BUILD_DIR [--events N] [--kills K] [--seed S] [--keep] [--fail-points LIST]
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

UID_NS = uuid.UUID("57e5a4e4-c7c1-41c1-8f2b-d19ad8cb7981")
FAIL_POINTS = ["spool.submitted", "spool.written", "spool.synced", "ckpt.temp_partial",
               "ckpt.renamed", "sink.delivered"]
INFLIGHT = 1 << 20
BATCH = 256 << 10


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--events", type=int, default=200000)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SLUICE_CRASH_SEED", "0"))
                    or int(time.time()))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--fail-points", default=",".join(FAIL_POINTS),
                    help="comma-separated fail points to kill at (default: all)")
    a = ap.parse_args()
    sluice = os.path.join(a.build, "sluice")
    replay = os.path.join(a.build, "sluice-replay")
    rng = random.Random(a.seed)
    print(f"crash: seed {a.seed} (SLUICE_CRASH_SEED={a.seed} repeats this run), "
          f"{a.events} events, {a.kills} random kills")
    T = tempfile.mkdtemp(prefix="sluice-crash.")
    try:
        return body(a, T, sluice, replay, rng)
    finally:
        if a.keep:
            print("crash: kept", T)
        else:
            shutil.rmtree(T, ignore_errors=True)


def body(a, T, sluice, replay, rng):
    cap = os.path.join(T, "cap")
    r = run([replay, "synth", "--out", cap, "--partitions", "4", "--events", str(a.events),
             "--records-per-message", "10", "--seed", str(a.seed % 1000 + 1)])
    if r.returncode:
        fail("synth: " + r.stderr)
    st = json.loads(run([replay, "stat", cap]).stdout)
    parts = {int(p): v for p, v in st["per_partition"].items()}

    # uid -> (partition, seq)
    where = {}
    for p, v in parts.items():
        for seq in range(v["first_sequence_number"], v["last_sequence_number"] + 1):
            pre = f"eh|{st['namespace']}|{st['eventhub']}|{p}|{seq}|"
            for i in range(v["max_records_per_message"]):
                where[str(uuid.uuid5(UID_NS, pre + str(i)))] = (p, seq)

    flags = ["--until-caught-up", "--progress-ms", "0", "--inflight-bytes", str(INFLIGHT),
             "--batch-bytes", str(BATCH), "--checkpoint-ms", "20", "--segment-bytes", "2M",
             "--shards", "2", "--fsync", "batch", "--log-level", "warn"]

    # the clean reference
    ref_dir = os.path.join(T, "ref")
    r = run([sluice, "run", "--source", "replay:" + cap, "--spool-dir", ref_dir] + flags)
    if r.returncode:
        fail("reference run: " + r.stdout[-2000:] + r.stderr[-2000:])
    ref = {}
    for line in run([sluice, "spool", "cat", ref_dir]).stdout.splitlines():
        ref[json.loads(line)["metadata"]["uid"]] = line
    if len(ref) != a.events:
        fail(f"reference run: {len(ref)} distinct events for {a.events}")
    shutil.rmtree(ref_dir)

    spool = os.path.join(T, "spool")
    out = os.path.join(T, "out")
    # a dir: forwarder runs along (its sink.delivered fail point too); delivered
    # segments are kept (--retain-hours), so the spool still holds every event
    flags += ["--sink", "dir:" + out, "--retain-hours", "100000"]
    ckpt_path = os.path.join(spool, f"checkpoint-{st['eventhub']}-$Default.json")
    cmd = [sluice, "run", "--source", "replay:" + cap, "--spool-dir", spool] + flags
    marks = []          # checkpoint after each kill: {partition: seq}
    last = {p: -1 for p in parts}
    log = open(os.path.join(T, "runs.log"), "w")

    def after_kill(what):
        ck = {p: -1 for p in parts}
        if os.path.exists(ckpt_path):
            try:
                d = json.load(open(ckpt_path))
            except ValueError as e:
                fail(f"after {what}: checkpoint file does not parse: {e}")
            for p, v in d["partitions"].items():
                ck[int(p)] = v["sequence_number"]
        for p in parts:
            if ck[p] < last[p]:
                fail(f"after {what}: partition {p} checkpoint went back {last[p]} -> {ck[p]}")
            last[p] = ck[p]
        marks.append(dict(ck))

    def start(env=None):
        log.write(f"--- run {len(marks) + 1} env={env}\n")
        log.flush()
        e = dict(os.environ)
        e.update(env or {})
        return subprocess.Popen(cmd, stdout=log, stderr=log, env=e)

    done = False
    fp_kills = 0
    names = [x for x in a.fail_points.split(",") if x]
    for name in names:
        n = rng.randint(2, 12)
        pr = start({"SLUICE_FAILPOINTS": f"{name}=kill@{n}"})
        try:
            rc = pr.wait(timeout=300)
        except subprocess.TimeoutExpired:
            pr.kill()
            fail(f"fail point {name}: run did not stop")
        if rc == -signal.SIGKILL:
            fp_kills += 1
            after_kill(f"fail point {name}@{n}")
            print(f"crash: fail point {name}@{n}: killed, checkpoints {sorted(last.items())}")
        elif rc == 0:
            done = True
            print(f"crash: fail point {name}@{n}: not reached before the end")
            break
        else:
            fail(f"fail point {name}: exit status {rc} (see {T}/runs.log)")
    if fp_kills < len(names):
        fail(f"only {fp_kills} of {len(names)} fail points fired: make the capture larger")

    kills = 0
    total_msgs = sum(v["messages"] for v in parts.values())
    while not done and kills < a.kills:
        progress = sum(s + 1 for s in last.values()) / total_msgs
        hi = 0.12 if progress < 0.6 else 0.06
        pr = start()
        try:
            rc = pr.wait(timeout=rng.uniform(0.02, hi))
            if rc != 0:
                fail(f"run exited {rc} (see runs.log)")
            done = True
        except subprocess.TimeoutExpired:
            pr.send_signal(signal.SIGKILL)
            pr.wait()
            kills += 1
            after_kill(f"SIGKILL {kills}")
    print(f"crash: {kills} random SIGKILLs, progress before the last run "
          f"{100 * sum(s + 1 for s in last.values()) / total_msgs:.0f}%")
    if kills < a.kills:
        fail(f"the capture ended after {kills} random kills (want {a.kills}): make it larger")
    pr = start()
    if pr.wait(timeout=600) != 0:
        fail("final run failed (see runs.log)")

    v = run([sluice, "spool", "verify", spool])
    if v.returncode:
        fail("spool verify: " + v.stdout[-2000:] + v.stderr[-2000:])
    # the forwarder delivered every sealed segment, each a byte-identical copy
    n_seg = 0
    for sh in sorted(os.listdir(spool)):
        if not sh.isdigit():
            continue
        for f in sorted(os.listdir(os.path.join(spool, sh))):
            if not f.endswith(".seg"):
                continue
            n_seg += 1
            a_, b_ = os.path.join(spool, sh, f), os.path.join(out, sh, f)
            if not os.path.exists(b_):
                fail(f"segment {sh}/{f} was not delivered to the dir: sink")
            if open(a_, "rb").read() != open(b_, "rb").read():
                fail(f"delivered copy of {sh}/{f} differs from the spool")
    seen = {}
    dup_msgs = {}
    n_lines = 0
    for line in run([sluice, "spool", "cat", spool]).stdout.splitlines():
        n_lines += 1
        u = json.loads(line)["metadata"]["uid"]
        if u not in where:
            fail(f"event {u} is not from the capture")
        if u in seen:
            if line != seen[u]:
                fail(f"event {u} written twice with different text")
            dup_msgs[where[u]] = dup_msgs.get(where[u], 0) + 1
        else:
            seen[u] = line
    missing = [u for u in ref if u not in seen]
    if missing:
        p, s = where[missing[0]]
        fail(f"{len(missing)} events missing, e.g. partition {p} seq {s}")
    diff = [u for u in ref if ref[u] != seen[u]]
    if diff:
        fail(f"{len(diff)} events differ from the clean run, e.g. {diff[0]}")

    # duplicates within the in-flight bound of some kill
    wmsgs = {p: (INFLIGHT + BATCH) // max(1, v["min_message_bytes"]) + 1
             for p, v in parts.items()}
    for (p, s) in dup_msgs:
        if not any(m[p] < s <= m[p] + wmsgs[p] for m in marks):
            fail(f"partition {p} seq {s} was written twice but is not within "
                 f"{wmsgs[p]} messages above any checkpoint persisted at a kill")
    dups = n_lines - len(seen)
    bound = sum(wmsgs[p] * parts[p]["max_records_per_message"] for p in parts) * len(marks)
    if dups > bound:
        fail(f"{dups} duplicate events, bound {bound}")
    print(f"crash: ok: {len(marks)} kills ({fp_kills} at fail points), {len(seen)} events all "
          f"present and equal to a clean run, {dups} duplicates in {len(dup_msgs)} messages "
          f"(bound {bound}), spool verify ok, {n_seg} segments delivered to dir: intact")
    return 0


if __name__ == "__main__":
    sys.exit(main())
