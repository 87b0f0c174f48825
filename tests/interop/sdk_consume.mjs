// sdk_consume.mjs - the official @azure/event-hubs consumer against `sluice-replay serve`.
//
//   node sdk_consume.mjs PORT HUB STAT_JSON KEY_NAME KEY            read everything back
//   node sdk_consume.mjs PORT HUB - KEY_NAME WRONG_KEY --expect-unauthorized
//   node sdk_consume.mjs PORT HUB STAT_JSON KEY_NAME KEY --at-least-once
//
// Read mode: getEventHubProperties, getPartitionProperties for every partition, then
// subscribe from the earliest position and read every event of every partition. Checks
// against `sluice-replay stat` (STAT_JSON): partition ids and count, per partition the
// message count, first/last sequence numbers and body bytes; every sequence number in
// order without gaps; offsets are the partition's body bytes before the event (the
// synth/import convention) and strings; enqueued times never go back; the last event
// agrees with getPartitionProperties; the runtime metric (trackLastEnqueuedEventProperties)
// names the partition's last event. With --at-least-once (a server injecting faults),
// redelivery is allowed: the checks are per distinct sequence number (each seen, every
// copy identical, offsets still the body bytes before it). Prints "FAIL: ..." lines and exits 1 on failure,
// a one-line JSON summary and exit 0 on success.
import { readFileSync } from "node:fs";
import { EventHubConsumerClient, earliestEventPosition } from "@azure/event-hubs";

const [port, hub, statPath, keyName, key, mode = ""] = process.argv.slice(2);
const conn = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${keyName};` +
  `SharedAccessKey=${key};EntityPath=${hub};UseDevelopmentEmulator=true`;
const failures = [];
const fail = (m) => { failures.push(m); console.log(`FAIL: ${m}`); };
const client = new EventHubConsumerClient("$default", conn, {
  // with injected faults, consecutive detaches are normal: retry quickly and often, as a
  // real consumer would, instead of letting the partition pump restart from the start
  retryOptions: { maxRetries: mode === "--expect-unauthorized" ? 0 : mode ? 20 : 1,
                  retryDelayInMs: mode ? 50 : 200, timeoutInMs: 20000 },
});
// "code message" of an error and of the errors an AggregateError (retries) wraps.
const describe = (e) => [e, ...(e.errors || []).flatMap((x) => [x, ...(x.errors || [])])]
  .map((x) => `${x.code} ${x.message}`).join(" | ");

async function expectUnauthorized() {
  try {
    await client.getEventHubProperties();
    fail("getEventHubProperties succeeded with a wrong key");
  } catch (e) {
    const text = describe(e);
    if (!/Unauthorized/i.test(text)) fail(`error is not unauthorized: ${text}`);
    if (!text.includes(keyName)) fail(`error does not name the key name ${keyName}: ${text}`);
    console.log(JSON.stringify({ unauthorized: true, error: text }));
  }
}

async function readAll() {
  const stat = JSON.parse(readFileSync(statPath, "utf8"));
  const props = await client.getEventHubProperties();
  const want = Object.keys(stat.per_partition).sort((a, b) => a - b);
  if (props.name !== hub) fail(`hub name ${props.name} != ${hub}`);
  if (JSON.stringify(props.partitionIds) !== JSON.stringify(want))
    fail(`partitionIds ${JSON.stringify(props.partitionIds)} != ${JSON.stringify(want)}`);
  if (!(props.createdOn instanceof Date) || props.createdOn.getTime() !== stat.created_ms)
    fail(`createdOn ${props.createdOn} != ${stat.created_ms}`);
  const pprops = {};
  for (const id of props.partitionIds) {
    const pp = await client.getPartitionProperties(id);
    pprops[id] = pp;
    const st = stat.per_partition[id];
    if (pp.partitionId !== id) fail(`partition ${id}: partitionId ${pp.partitionId}`);
    if (pp.beginningSequenceNumber !== st.first_sequence_number)
      fail(`partition ${id}: begin ${pp.beginningSequenceNumber} != ${st.first_sequence_number}`);
    if (pp.lastEnqueuedSequenceNumber !== st.last_sequence_number)
      fail(`partition ${id}: last ${pp.lastEnqueuedSequenceNumber} != ${st.last_sequence_number}`);
    if (pp.isEmpty !== (st.messages === 0)) fail(`partition ${id}: isEmpty ${pp.isEmpty}`);
    if (typeof pp.lastEnqueuedOffset !== "string") fail(`partition ${id}: offset not a string`);
    if (!(pp.lastEnqueuedOnUtc instanceof Date)) fail(`partition ${id}: time not a Date`);
  }
  const total = Object.values(stat.per_partition).reduce((a, p) => a + p.messages, 0);
  const seen = {};
  for (const id of props.partitionIds)
    seen[id] = { n: 0, next: stat.per_partition[id].first_sequence_number, bytes: 0, t: 0, last: null,
                 bySeq: new Map() };
  const alo = mode === "--at-least-once";
  let copies = 0, errors = 0;
  let count = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const sub = client.subscribe({
    processEvents: async (events, ctx) => {
      const s = seen[ctx.partitionId];
      // runtime metric (trackLastEnqueuedEventProperties): the partition's last event
      const le = ctx.lastEnqueuedEventProperties;
      if (events.length && !alo && (le?.sequenceNumber !== stat.per_partition[ctx.partitionId].last_sequence_number ||
                                    typeof le?.offset !== "string" || !(le?.enqueuedOn instanceof Date)))
        fail(`partition ${ctx.partitionId}: lastEnqueuedEventProperties ${JSON.stringify(le)}`);
      else if (events.length) s.metric = true;
      for (const ev of events) {
        copies++;
        if (alo) {
          const prev = s.bySeq.get(ev.sequenceNumber);
          const me = { off: ev.offset, t: ev.enqueuedTimeUtc.getTime(), len: ev.body.length };
          if (prev) {
            if (JSON.stringify(prev) !== JSON.stringify(me)) fail(`partition ${ctx.partitionId} seq ${ev.sequenceNumber}: redelivered differently`);
            continue;
          }
          s.bySeq.set(ev.sequenceNumber, me);
          if (s.bySeq.size === stat.per_partition[ctx.partitionId].messages) {
            // complete: check the offsets as a whole, in sequence order
            const seqs = [...s.bySeq.keys()].sort((a, b) => a - b);
            let bytes = 0, t = 0;
            for (let i = 0; i < seqs.length; i++) {
              const e = s.bySeq.get(seqs[i]);
              if (seqs[i] !== stat.per_partition[ctx.partitionId].first_sequence_number + i) fail(`partition ${ctx.partitionId}: sequence gap at ${seqs[i]}`);
              if (e.off !== String(bytes)) fail(`partition ${ctx.partitionId} seq ${seqs[i]}: offset ${e.off} != ${bytes}`);
              if (e.t < t) fail(`partition ${ctx.partitionId}: time goes back at ${seqs[i]}`);
              bytes += e.len; t = e.t;
            }
            s.n = seqs.length; s.bytes = bytes; s.t = t;
            s.last = { offset: s.bySeq.get(seqs[seqs.length - 1]).off, enqueuedTimeUtc: new Date(t) };
          }
          if (++count >= total) done();
          continue;
        }
        if (ev.sequenceNumber !== s.next)
          fail(`partition ${ctx.partitionId}: sequence ${ev.sequenceNumber}, expected ${s.next}`);
        s.next = ev.sequenceNumber + 1;
        if (typeof ev.offset !== "string" || ev.offset !== String(s.bytes))
          fail(`partition ${ctx.partitionId} seq ${ev.sequenceNumber}: offset ${ev.offset} != ${s.bytes}`);
        if (!Buffer.isBuffer(ev.body)) fail(`seq ${ev.sequenceNumber}: body is not bytes`);
        else {
          s.bytes += ev.body.length;
          const j = JSON.parse(ev.body.toString("utf8"));
          if (!Array.isArray(j.records)) fail(`seq ${ev.sequenceNumber}: body has no records[]`);
        }
        const t = ev.enqueuedTimeUtc.getTime();
        if (!(t >= s.t)) fail(`partition ${ctx.partitionId}: enqueued time goes back at ${ev.sequenceNumber}`);
        s.t = t;
        s.last = ev;
        s.n++;
        if (++count >= total) done();
      }
    },
    processError: async (err, ctx) => {
      errors++;
      if (alo) console.log(`note: processError on ${ctx.partitionId}: ${err.name} ${err.code} ${err.message} ${(err.errors || []).map((x) => x.code + " " + x.message).join(" / ")}`);
      if (!alo) fail(`processError on ${ctx.partitionId}: ${err.message}`);
    },
  }, { startPosition: earliestEventPosition, maxBatchSize: 50, maxWaitTimeInSeconds: 1,
       skipParsingBodyAsJson: true, trackLastEnqueuedEventProperties: true });
  const timer = setTimeout(() => { fail(`timeout: ${count} of ${total} events`); done(); }, 90000);
  await finished;
  clearTimeout(timer);
  await sub.close();
  for (const id of props.partitionIds) {
    const s = seen[id], st = stat.per_partition[id], pp = pprops[id];
    if (st.messages && !s.metric) fail(`partition ${id}: no lastEnqueuedEventProperties`);
    if (s.n !== st.messages) fail(`partition ${id}: ${s.n} events, capture has ${st.messages}`);
    if (s.bytes !== st.bytes) fail(`partition ${id}: ${s.bytes} body bytes, capture has ${st.bytes}`);
    if (s.last) {
      if (s.last.offset !== pp.lastEnqueuedOffset) fail(`partition ${id}: last offset ${s.last.offset} != ${pp.lastEnqueuedOffset}`);
      if (s.last.enqueuedTimeUtc.getTime() !== pp.lastEnqueuedOnUtc.getTime()) fail(`partition ${id}: last time differs`);
    }
  }
  console.log(JSON.stringify({ events: count, copies, errors, partitions: props.partitionIds.length,
                               bytes: Object.values(seen).reduce((a, s) => a + s.bytes, 0) }));
}

try {
  if (mode === "--expect-unauthorized") await expectUnauthorized();
  else await readAll();
} catch (e) {
  fail(`unexpected error: ${describe(e)}`);
} finally {
  await client.close();
}
process.exit(failures.length ? 1 : 0);
