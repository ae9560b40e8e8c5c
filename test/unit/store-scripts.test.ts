import { describe, expect, it } from 'vitest';
import { clockKeys } from '../../services/store/clock-keys.ts';
import { loadScript, ScriptCall } from '../../services/store/scripts.ts';

describe('the Redis store\'s scripts', () => {
  it('expands each include once, and leaves no include line behind', () => {
    for (const name of ['apply-batch', 'fire-timers', 'evict-episodes']) {
      const lua = loadScript(name);
      expect(lua, name).not.toMatch(/^--- @include/m);
      expect(lua.match(/^local APPLIED, CLOSED/gm), name).toHaveLength(1);
      expect(lua.match(/^local packed = cjson\.decode\(ARGV\[1\]\)$/gm), name).toHaveLength(1);
    }
    expect(loadScript('apply-batch').match(/^local function toOutbox/gm)).toHaveLength(1);
    expect(loadScript('apply-batch').match(/^local function versionOf/gm)).toHaveLength(1);
  });

  it('declares every key once, the partition\'s six first, and numbers keys and values as Lua counts', () => {
    const k = clockKeys('ns').of(3);
    const call = new ScriptCall(k, k.applied('g', 't'));
    expect(call.key(k.outbox)).toBe(4);
    expect(call.key(k.state('E1'))).toBe(7);
    expect(call.key(k.events('E1'))).toBe(8);
    expect(call.key(k.state('E1'))).toBe(7);
    expect(call.value('{"a":1}')).toBe(2);
    expect(call.value('{"b":2}')).toBe(3);
    const args = call.args({ steps: [] });
    expect(args[0]).toBe(8);
    expect(args.slice(1, 9)).toEqual([k.applied('g', 't'), k.closed, k.watermark, k.outbox, k.timers, k.recent, k.state('E1'), k.events('E1')]);
    expect(args.slice(9)).toEqual(['{"steps":[]}', '{"a":1}', '{"b":2}']);
    // One hash slot: every key carries the partition's tag.
    expect(args.slice(1, 9).every((key) => String(key).startsWith('{ns:p3}:'))).toBe(true);
  });
});
