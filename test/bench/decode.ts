/**
 * What decoding costs per message, without Kafka: simulated events encoded once through the
 * registry, then decoded as the consumers decode them (EventCodec.decode, synchronous once a
 * schema id has been seen) and as they did before (the registry client's decode, two awaits per
 * message). Same run, same messages: the ratio is what counts (run: tsx test/bench/decode.ts [events]).
 * Needs the registry (`npm run stack -- up registry`, UTKLAR_REGISTRY_PORT or the default port).
 */
import { loadConfig } from '../../services/core/config.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { RegionSimulator } from '../../services/simulator/simulate.ts';
import { decodeRegistered, EventCodec } from '../../services/kafka/codec.ts';

const n = Number(process.argv[2] ?? 100_000);
const now = Date.now();
const pseudo = new Pseudonymiser('a bench secret of some length');
const codec = new EventCodec(loadConfig(process.env).registryUrl);
await codec.register(`bench-decode-${process.pid}`);
const messages: Buffer[] = [];
for (const e of new RegionSimulator({ seed: 1, admissionsPerDay: 150 }, now - 365 * 86_400_000).eventsUntil(now)) {
  messages.push(await codec.encode(parseNdjsonEvent(JSON.stringify(e), messages.length + 1, pseudo)));
  if (messages.length >= n) break;
}

async function time(label: string, decode: (b: Buffer) => unknown): Promise<number> {
  const started = performance.now();
  for (const m of messages) {
    const d = decode(m);
    if (d instanceof Promise) await d;
  }
  const us = ((performance.now() - started) * 1000) / messages.length;
  console.log(`${label.padEnd(34)} ${us.toFixed(2)} µs per message`);
  return us;
}

await time('warm-up', (b) => codec.decode(b));
// Both to the raw Avro record; the event mapping after it (fromAvro) is the same either way.
const before = await time('registry client (two awaits each)', (b) => codec.registry.decode(b));
const after = await time('decodeRegistered (sync when seen)', (b) => decodeRegistered(codec.registry, b));
await time('EventCodec.decode (+ fromAvro)', (b) => codec.decode(b));
console.log(`RESULT messages=${messages.length} before_us=${before.toFixed(2)} after_us=${after.toFixed(2)} speedup=${(before / after).toFixed(2)}`);
