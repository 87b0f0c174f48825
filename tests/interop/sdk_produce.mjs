// sdk_produce.mjs - the official @azure/event-hubs producer against `sluice-replay serve`.
//
//   node sdk_produce.mjs PORT HUB STAT_JSON KEY_NAME KEY N
//
// Notes every partition's last sequence number, then sends N events with
// EventHubProducerClient in batches (createBatch/tryAdd/sendBatch, so the server's
// max-message-size and batch envelopes are exercised): a third to the hub (round robin),
// a third with a partition key, a third to an explicit partition. Then subscribes from
// "after the last sequence number noted" (a sequence-number selector) and reads them
// back, checking: every event once, body and application properties intact, explicit
// partitions honoured, one partition per partition key with the key annotated, sequence
// numbers contiguous from the noted position, offsets strings, enqueued times set.
// Prints "FAIL: ..." lines and exits 1 on failure, one JSON summary line and 0 otherwise.
import { EventHubConsumerClient, EventHubProducerClient } from "@azure/event-hubs";

const [port, hub, , keyName, key, nArg] = process.argv.slice(2);
const N = Number(nArg);
const conn = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${keyName};` +
  `SharedAccessKey=${key};EntityPath=${hub};UseDevelopmentEmulator=true`;
const failures = [];
const fail = (m) => { if (failures.length < 20) console.log(`FAIL: ${m}`); failures.push(m); };
// retries: a server injecting busy faults rejects some batches (ServerBusyError, retryable)
const retryOptions = { maxRetries: 6, retryDelayInMs: 100, timeoutInMs: 20000 };
const producer = new EventHubProducerClient(conn, { retryOptions });
const consumer = new EventHubConsumerClient("$default", conn, { retryOptions });

async function main() {
  const ids = await producer.getPartitionIds();
  const start = {};
  for (const id of ids) start[id] = (await producer.getPartitionProperties(id)).lastEnqueuedSequenceNumber;

  // Plan: event i goes to the hub (i%3==0), with key "k<i%7>" (1), or to partition i%P (2).
  const opts = (i) => (i % 3 === 1 ? { partitionKey: `k${i % 7}` }
                     : i % 3 === 2 ? { partitionId: ids[i % ids.length] } : {});
  const groupOf = (i) => JSON.stringify(opts(i));
  const groups = new Map();
  for (let i = 0; i < N; i++) {
    const g = groupOf(i);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(i);
  }
  let batches = 0;
  for (const [g, list] of groups) {
    let batch = await producer.createBatch(JSON.parse(g));
    for (const i of list) {
      const ev = { body: { i, pad: "x".repeat(i % 200) }, properties: { n: i, tag: "sdk" } };
      if (!batch.tryAdd(ev)) {
        await producer.sendBatch(batch);
        batches++;
        batch = await producer.createBatch(JSON.parse(g));
        if (!batch.tryAdd(ev)) fail(`event ${i} does not fit an empty batch`);
      }
    }
    if (batch.count) { await producer.sendBatch(batch); batches++; }
  }

  const got = new Array(N).fill(0);
  const keyPart = {};
  const next = {};
  for (const id of ids) next[id] = start[id] + 1;
  let count = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const positions = {};
  for (const id of ids) positions[id] = { sequenceNumber: start[id], isInclusive: false };
  const sub = consumer.subscribe({
    processEvents: async (events, ctx) => {
      for (const ev of events) {
        const pid = ctx.partitionId;
        if (ev.sequenceNumber !== next[pid]) fail(`partition ${pid}: seq ${ev.sequenceNumber}, expected ${next[pid]}`);
        next[pid] = ev.sequenceNumber + 1;
        if (typeof ev.offset !== "string") fail(`offset is not a string`);
        if (!(ev.enqueuedTimeUtc instanceof Date) || ev.enqueuedTimeUtc.getTime() <= 0) fail(`no enqueued time`);
        const i = ev.body?.i;
        if (!Number.isInteger(i) || i < 0 || i >= N) { fail(`bad body ${JSON.stringify(ev.body)}`); continue; }
        if (ev.body.pad !== "x".repeat(i % 200)) fail(`event ${i}: body damaged`);
        if (ev.properties?.n !== i || ev.properties?.tag !== "sdk") fail(`event ${i}: properties ${JSON.stringify(ev.properties)}`);
        got[i]++;
        const o = opts(i);
        if (o.partitionId !== undefined && pid !== o.partitionId) fail(`event ${i} on ${pid}, sent to ${o.partitionId}`);
        if (o.partitionKey !== undefined) {
          if (ev.partitionKey !== o.partitionKey) fail(`event ${i}: partitionKey ${ev.partitionKey}`);
          if (keyPart[o.partitionKey] === undefined) keyPart[o.partitionKey] = pid;
          else if (keyPart[o.partitionKey] !== pid) fail(`key ${o.partitionKey} on ${pid} and ${keyPart[o.partitionKey]}`);
        }
        if (++count >= N) done();
      }
    },
    processError: async (err, ctx) => fail(`processError on ${ctx.partitionId}: ${err.message}`),
  }, { startPosition: positions, maxBatchSize: 200, maxWaitTimeInSeconds: 1 });
  const timer = setTimeout(() => { fail(`timeout: ${count} of ${N} events read back`); done(); }, 90000);
  await finished;
  clearTimeout(timer);
  await sub.close();
  const missing = got.reduce((a, c) => a + (c === 0 ? 1 : 0), 0);
  const dup = got.reduce((a, c) => a + (c > 1 ? 1 : 0), 0);
  if (missing || dup) fail(`${missing} events missing, ${dup} duplicated`);
  let total = 0;
  for (const id of ids) total += (await consumer.getPartitionProperties(id)).lastEnqueuedSequenceNumber - start[id];
  if (total !== N) fail(`partitions grew by ${total} events, sent ${N}`);
  console.log(JSON.stringify({ produced: N, batches, read_back: count }));
}

try {
  await main();
} catch (e) {
  fail(`unexpected error: ${e.code} ${e.message}`);
} finally {
  await producer.close();
  await consumer.close();
}
process.exit(failures.length ? 1 : 0);
