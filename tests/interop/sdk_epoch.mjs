// sdk_epoch.mjs - receiver limits of `sluice-replay serve`, as the official SDK sees them.
//
//   node sdk_epoch.mjs PORT HUB KEY_NAME KEY
//
// On partition 0 of $default: five receivers without an owner level are served, a
// sixth is refused with QuotaExceededError naming the limit (5); then a receiver with
// owner level 1 is taken over by one with owner level 2 (the first gets
// ReceiverDisconnectedError: amqp:link:stolen), and a later owner level 1 and a
// receiver without owner level are refused. A receiver on a consumer group that does
// not exist gets amqp:not-found. Prints "FAIL: ..." and exits 1 on failure.
import { EventHubConsumerClient, latestEventPosition } from "@azure/event-hubs";

const [port, hub, keyName, key] = process.argv.slice(2);
const conn = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=${keyName};` +
  `SharedAccessKey=${key};EntityPath=${hub};UseDevelopmentEmulator=true`;
const failures = [];
const fail = (m) => { failures.push(m); console.log(`FAIL: ${m}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clients = [];
const retryOptions = { maxRetries: 0, retryDelayInMs: 100, timeoutInMs: 10000 };

// A subscription on partition 0 that records its errors.
function sub(cg, ownerLevel) {
  const c = new EventHubConsumerClient(cg, conn, { retryOptions });
  clients.push(c);
  const rec = { errors: [], init: false };
  rec.sub = c.subscribe("0", {
    processInitialize: async () => { rec.init = true; },
    processEvents: async () => {},
    processError: async (e) => { rec.errors.push(`${e.code} ${e.message}`); },
  }, { startPosition: latestEventPosition, ownerLevel, maxWaitTimeInSeconds: 1 });
  return rec;
}

async function main() {
  const five = [];
  for (let i = 0; i < 5; i++) five.push(sub("$default"));
  await sleep(1500);
  five.forEach((r, i) => { if (r.errors.length) fail(`reader ${i + 1} of 5 got ${r.errors[0]}`); });
  const sixth = sub("$default");
  await sleep(1500);
  if (!sixth.errors.some((e) => /QuotaExceeded/.test(e) && /which is 5/.test(e)))
    fail(`sixth reader: ${JSON.stringify(sixth.errors)}`);
  console.log(JSON.stringify({ sixth: sixth.errors[0] }));
  for (const r of [...five, sixth]) await r.sub.close();
  await sleep(300);

  const a = sub("$default", 1);
  await sleep(1000);
  if (a.errors.length) fail(`owner level 1: ${a.errors[0]}`);
  const b = sub("$default", 2);
  await sleep(1500);
  if (b.errors.length) fail(`owner level 2: ${b.errors[0]}`);
  if (!a.errors.some((e) => /ReceiverDisconnected/.test(e)))
    fail(`owner level 1 was not disconnected: ${JSON.stringify(a.errors)}`);
  const c = sub("$default", 1);
  const d = sub("$default");
  const x = sub("nosuchgroup");
  await sleep(1500);
  if (!c.errors.some((e) => /ReceiverDisconnected/.test(e) && /epoch/.test(e)))
    fail(`lower owner level not refused: ${JSON.stringify(c.errors)}`);
  if (!d.errors.some((e) => /ReceiverDisconnected/.test(e) && /non-epoch/.test(e)))
    fail(`receiver without owner level not refused: ${JSON.stringify(d.errors)}`);
  if (!x.errors.some((e) => /MessagingEntityNotFoundError/.test(e) && /nosuchgroup/.test(e)))
    fail(`unknown consumer group not refused: ${JSON.stringify(x.errors)}`);
  console.log(JSON.stringify({ stolen: a.errors[0], lower: c.errors[0], none: d.errors[0],
                               nogroup: x.errors[0] }));
  for (const r of [a, b, c, d, x]) await r.sub.close();
}

try {
  await main();
} catch (e) {
  fail(`unexpected error: ${e.code} ${e.message}`);
} finally {
  for (const c of clients) await c.close();
}
process.exit(failures.length ? 1 : 0);
