// sdk_drain.mjs - throughput reference for perf/amqp.sh: the official @azure/event-hubs
// consumer reads every event of every partition from earliest, doing nothing with them
// but counting events and body bytes, and prints one JSON line with wall and CPU time.
//   node sdk_drain.mjs PORT HUB KEY_NAME KEY TOTAL_EVENTS
import { EventHubConsumerClient, earliestEventPosition } from "@azure/event-hubs";

const [port, hub, keyName, key, total] = process.argv.slice(2);
const want = Number(total);
const conn = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${keyName};` +
  `SharedAccessKey=${key};EntityPath=${hub};UseDevelopmentEmulator=true`;
const client = new EventHubConsumerClient("$default", conn);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
let events = 0, bytes = 0;
await new Promise((resolve, reject) => {
  const sub = client.subscribe({
    processEvents: async (evs) => {
      for (const e of evs) {
        events++;
        bytes += e.body instanceof Uint8Array ? e.body.length : Buffer.byteLength(JSON.stringify(e.body));
      }
      if (events >= want) sub.close().then(resolve, reject);
    },
    processError: async (err) => { reject(err); },
  }, { startPosition: earliestEventPosition, maxBatchSize: 300, maxWaitTimeInSeconds: 1 });
});
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
await client.close();
console.log(JSON.stringify({ events, bytes, seconds: secs,
  cpu_s: (cpu.user + cpu.system) / 1e6 }));
