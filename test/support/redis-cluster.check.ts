/**
 * Self-check of startRedisCluster and of how ioredis's Cluster client behaves on it:
 *   npx tsx test/support/redis-cluster.check.ts
 * Prints what it observed and exits non-zero on the first expectation that does not hold.
 */
import assert from 'node:assert/strict';
import { Cluster, type Redis } from 'ioredis';
import { startRedisCluster } from './redis-cluster.ts';

type Scripted = Cluster & { touchThree(k1: string, k2: string, k3: string, v: string): Promise<number> };

/** Every key matching `pattern`: SCAN walks one node's keyspace, so each master is walked in turn. */
async function scanAll(cluster: Cluster, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of cluster.nodes('master')) out.push(...(await scanNode(node, pattern)));
  return out;
}

async function scanNode(node: Redis | Cluster, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out;
}

const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: Error) => e.message);
const note = (what: string, value: unknown) => console.log(`  ${what}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);

const rc = await startRedisCluster({ basePort: 17101 });
const cluster = new Cluster(rc.nodes) as Scripted;
const events: string[] = [];
for (const e of ['connect', 'ready', 'error', 'close', 'reconnecting', 'end', '+node', '-node', 'node error', 'refresh']) cluster.on(e, () => events.push(e));
try {
  console.log(`cluster up: ${rc.url} (${rc.nodes.map((n) => n.port).join(', ')})`);
  note('status right after new Cluster()', cluster.status);
  note('nodes() before ready', cluster.nodes().length);
  await new Promise<void>((resolve, reject) => { cluster.once('ready', resolve); cluster.once('error', reject); });
  note('status after ready', cluster.status);
  note('events so far', events);
  assert.equal(cluster.nodes('master').length, 3);

  // Keys of different slots, spread over all three masters, each routed to its own node.
  const slotOf = async (key: string) => Number(await cluster.cluster('KEYSLOT', key));
  const keys = Array.from({ length: 30 }, (_, i) => `check:k${i}`);
  for (const k of keys) await cluster.set(k, `v-${k}`);
  for (const k of keys) assert.equal(await cluster.get(k), `v-${k}`);
  const perNode = await Promise.all(cluster.nodes('master').map(async (n) => Number(await n.dbsize())));
  note('30 plain keys per master (dbsize)', perNode);
  assert.ok(perNode.every((n) => n > 0), 'plain keys spread over every master');
  note('distinct slots of the 30 keys', new Set(await Promise.all(keys.map(slotOf))).size);

  // A pipeline whose keys share one hash tag: one slot, one node.
  const tagged = await cluster.pipeline().set('{x:p1}:a', '1').incr('{x:p1}:b').hset('{x:p1}:h', 'f', 'v').get('{x:p1}:a').exec();
  note('tagged pipeline results', tagged);
  assert.deepEqual(tagged?.map(([e]) => e), [null, null, null, null]);
  assert.equal(tagged?.[3]?.[1], '1');
  const tx = await cluster.multi().incr('{x:p1}:b').hget('{x:p1}:h', 'f').exec();
  note('tagged multi() results', tx);
  assert.equal(tx?.[1]?.[1], 'v');

  // Two keys on different masters in one pipeline.
  const masterOf = (key: string) => cluster.slots[calcSlot(key)]?.[0];
  const [a, b] = pairOn(keys, masterOf, false);
  const crossNode = await errorOf(cluster.pipeline().get(a).get(b).exec());
  note(`pipeline, keys on different masters (${a}, ${b})`, crossNode);
  assert.match(crossNode ?? '', /same slots allocation group/);
  // Two keys in different slots that one master serves.
  const [c, d] = pairOn(keys, masterOf, true);
  const sameNode = await cluster.pipeline().get(c).get(d).exec();
  note(`pipeline, different slots on one master (${c}, ${d})`, sameNode);
  assert.deepEqual(sameNode?.map(([e]) => e), [null, null]);
  const sameNodeTx = await errorOf(cluster.multi().get(c).get(d).exec());
  note('multi(), different slots on one master', sameNodeTx);
  // One command naming keys of two slots.
  const mget = await errorOf(cluster.mget(c, d));
  note('MGET over two slots', mget);
  const mgetInPipe = await errorOf(cluster.pipeline().mget(c, d).exec());
  note('MGET over two slots, in a pipeline', mgetInPipe);

  // Lua via defineCommand: keys given by numberOfKeys decide the node, like any command.
  cluster.defineCommand('touchThree', {
    numberOfKeys: 3,
    lua: "redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); redis.call('HSET', KEYS[3], 'v', ARGV[1]); return redis.call('INCR', KEYS[2])",
  });
  note('touchThree, one hash tag', await cluster.touchThree('{x:p1}:s', '{x:p1}:n', '{x:p1}:hh', 'ok'));
  assert.equal(await cluster.hget('{x:p1}:hh', 'v'), 'ok');
  // The same script on a tag of another master: EVALSHA's NOSCRIPT there falls back to EVAL.
  const other = ['{x:p2}', '{x:p3}', '{x:p4}', '{x:p5}'].find((t) => masterOf(t) !== masterOf('{x:p1}'))!;
  note(`touchThree, tag ${other} on another master`, await cluster.touchThree(`${other}:s`, `${other}:n`, `${other}:hh`, 'ok'));
  const luaCross = await errorOf(cluster.touchThree(c, d, '{x:p1}:s', 'no'));
  note('touchThree, keys of three slots', luaCross);
  assert.ok(luaCross, 'a script over several slots is refused');
  // numberOfKeys left out: the caller passes the key count first (services/alerting/alerting.ts does).
  cluster.defineCommand('touchN', { lua: "for i = 1, #KEYS do redis.call('INCR', KEYS[i]) end return #KEYS" });
  const touchN = (cluster as unknown as { touchN(...a: (string | number)[]): Promise<number> }).touchN;
  note('dynamic-key-count script, one tag', await touchN.call(cluster, 3, '{x:p1}:d1', '{x:p1}:d2', '{x:p1}:d3'));
  note('dynamic-key-count script, two slots', await errorOf(touchN.call(cluster, 2, a, b)));
  const luaPipe = await (cluster.pipeline() as unknown as { touchThree(...a: string[]): { exec(): Promise<unknown> } }).touchThree('{x:p1}:s', '{x:p1}:n', '{x:p1}:hh', 'p').exec();
  note('touchThree in a pipeline', luaPipe);

  // duplicate(): a second client with the same seeds and options.
  const dup = cluster.duplicate();
  note('duplicate() status at once', dup.status);
  await new Promise<void>((resolve) => dup.once('ready', resolve));
  assert.equal(await dup.get('{x:p1}:a'), '1');
  note('duplicate() read after ready', 'ok');
  await dup.quit();

  // SCAN: the client sends it to one node, so only the helper sees every key.
  const all = await scanAll(cluster, 'check:*');
  note('scanAll(check:*) over the masters', all.length);
  assert.equal(all.length, keys.length);
  const oneNode = await scanNode(cluster, 'check:*');
  note('cluster.scan(check:*) on its own', oneNode.length);
  assert.ok(oneNode.length < keys.length, 'cluster.scan sees one node only');
  note('cluster.keys(check:*)', (await cluster.keys('check:*')).length);

  note('events in all', [...new Set(events)]);
  console.log('redis-cluster check: all passed');
} finally {
  await cluster.quit().catch(() => cluster.disconnect());
  await rc.stop();
}

function calcSlot(key: string): number {
  // The slot rule (CRC16 of the hash tag or the whole key), as the server computes it.
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const s = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(s)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

function pairOn(keys: string[], masterOf: (k: string) => string | undefined, sameMaster: boolean): [string, string] {
  for (const x of keys) for (const y of keys) {
    if (x !== y && calcSlot(x) !== calcSlot(y) && (masterOf(x) === masterOf(y)) === sameMaster) return [x, y];
  }
  throw new Error('no such pair of keys');
}
