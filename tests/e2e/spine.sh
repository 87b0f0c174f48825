#!/usr/bin/env bash
# spine.sh - issue 2's acceptance run: synth 16 partitions x 200,000 events,
# run --until-caught-up, then prove: spool cat yields exactly 200,000 events
# with 200,000 distinct ids; checkpoints equal each partition's last sequence
# number; a second run writes nothing; verify passes; a truncated segment
# fails verify naming the file and offset.
#   usage: spine.sh BUILD_DIR SHARED_DIR [EVENTS]
B=$1; SHARED=$2; EVENTS=${3:-200000}
. "$(dirname "$0")/lib.sh"

"$B/sluice-replay" synth --out "$T/cap" --partitions 16 --events "$EVENTS" --seed 7 > "$T/synth.json"
"$B/sluice-replay" stat "$T/cap" > "$T/stat.json"
[ "$(json "$T/stat.json" "d['records']")" = "$EVENTS" ] || fail "capture holds $(json "$T/stat.json" "d['records']") records"

"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spool" --until-caught-up --shards 2 \
  --progress-ms 0 --stats-json "$T/run1.json" > "$T/run1.out"
cat "$T/run1.out"
[ "$(json "$T/run1.json" "d['events']")" = "$EVENTS" ] || fail "run 1 wrote $(json "$T/run1.json" "d['events']") events"
[ "$(json "$T/run1.json" "d['dead_letters']")" = "0" ] || fail "run 1 wrote dead letters"
grep -q "caught up" "$T/run1.out" || fail "run 1 summary does not say caught up"
grep -q "DeviceProcessEvents" "$T/run1.out" || fail "summary lacks the per-table counts"

"$B/sluice" spool cat "$T/spool" | python3 "$HERE/check_events.py" --count "$EVENTS" \
  --distinct-uids --sample-out "$T/sample.ndjson"
python3 "$SHARED/reference/tools/ocsf_validate.py" --strict "$T/sample.ndjson" > "$T/validate.out" 2>&1 \
  || { tail -20 "$T/validate.out"; fail "OCSF validation of the first 2000 events"; }
ok "first 2000 events validate against OCSF 1.8.0"

"$B/sluice" checkpoint show --spool-dir "$T/spool" > "$T/ckpt.json"
python3 - "$T/stat.json" "$T/ckpt.json" <<'PY'
import json, sys
st = json.load(open(sys.argv[1])); ck = json.load(open(sys.argv[2]))
for p, v in st["per_partition"].items():
    want = v["last_sequence_number"]
    got = ck["partitions"].get(p, {}).get("sequence_number")
    if got != want:
        print(f"FAIL: partition {p}: checkpoint {got}, last sequence number {want}"); sys.exit(1)
print(f"ok: {len(st['per_partition'])} partition checkpoints equal the capture's last sequence numbers")
PY

listing() { (cd "$T/spool" && find . -type f ! -name .lock -printf '%p %s\n' | sort && find . -type f -name '*.seg*' -exec md5sum {} + | sort); }
listing > "$T/before"
"$B/sluice" run --source "replay:$T/cap" --spool-dir "$T/spool" --until-caught-up --shards 2 \
  --progress-ms 0 --stats-json "$T/run2.json" > "$T/run2.out"
[ "$(json "$T/run2.json" "d['events']")" = "0" ] || fail "run 2 wrote $(json "$T/run2.json" "d['events']") events"
listing > "$T/after"
diff "$T/before" "$T/after" || fail "run 2 changed the spool"
ok "second run wrote nothing"

# stock lz4cat reads every segment: valid NDJSON, one line per event (no dead letters here)
lz4cat "$T"/spool/*/*.seg | python3 "$HERE/check_events.py" --count "$EVENTS" > /dev/null \
  || fail "lz4cat of the segments is not $EVENTS lines of JSON"
ok "lz4cat prints the spool as $EVENTS lines of valid NDJSON"
"$B/sluice" spool verify "$T/spool" > "$T/verify.json" || fail "verify failed on a good spool"
[ "$(json "$T/verify.json" "d['events']")" = "$EVENTS" ] || fail "verify counted $(json "$T/verify.json" "d['events']") events"
[ "$(json "$T/verify.json" "d['out_of_order_frames']")" = "0" ] || fail "frames out of sequence order"
ok "spool verify passes"

cp -r "$T/spool" "$T/bad"
seg=$(find "$T/bad" -name '*.seg' | sort | tail -1)
size=$(stat -c %s "$seg")
truncate -s $((size - 7)) "$seg"
if "$B/sluice" spool verify "$T/bad" > /dev/null 2> "$T/verify.err"; then fail "verify passed a truncated segment"; fi
grep -q "$seg" "$T/verify.err" || fail "verify error does not name the file: $(cat "$T/verify.err")"
grep -q "offset" "$T/verify.err" || fail "verify error does not name the offset: $(cat "$T/verify.err")"
ok "truncated segment fails verify: $(head -1 "$T/verify.err")"
