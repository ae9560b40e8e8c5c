import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import { Rng } from '../../services/simulator/rng.ts';
import { PSEUDONYM_KEY } from '../support/env.ts';
import { runCli } from '../support/processes.ts';

/** What goes onto the topic, in arrival order: valid events (some twice, some out of order) and malformed ones. */
export type Item =
  | { kind: 'event'; event: PatientEvent }
  | { kind: 'raw'; key: string; malformed: MalformedKind; value: (encode: (e: PatientEvent) => Promise<Buffer>) => Promise<Buffer> };

export type MalformedKind = 'bad-magic-byte' | 'unknown-schema-id' | 'truncated-avro' | 'semantically-invalid';

export interface Workload {
  items: Item[];
  /** Every valid event once (what the state and the indicators must reflect). */
  events: PatientEvent[];
  duplicates: number;
  reordered: number;
  /** Malformed messages by key (undecodable) or event id (semantically invalid). */
  malformed: { id: string; kind: MalformedKind }[];
  /** The simulated patients' personnummer in every spelling, for the personal-data scan. */
  personnummer: string[];
  /** The source systems' episode ids (and readmissions' index episodes): the producer edge keeps them too. */
  sourceEpisodeIds: string[];
}

/**
 * A seeded simulated region (the real simulator, through the CLI), then made hostile: events
 * shuffled within windows of 20 (minutes of event time apart, far inside the allowed lateness),
 * `duplicateShare` of them sent again a little later, and `malformed` bad messages of four kinds
 * spread through the stream.
 */
export async function buildWorkload(o: { days: number; rate: number; seed: number; from: string; duplicateShare: number; malformed: number }, env: Record<string, string>): Promise<Workload> {
  const sim = await runCli(['simulate', '--rate', String(o.rate), '--days', String(o.days), '--seed', String(o.seed), '--from', o.from], env);
  if (sim.code !== 0) throw new Error(`simulate failed: ${sim.stderr}`);
  const pseudo = new Pseudonymiser(PSEUDONYM_KEY);
  const lines = sim.stdout.trim().split('\n');
  const events = lines.map((l, i) => parseNdjsonEvent(l, i + 1, pseudo));
  const personnummer = new Set<string>();
  const sourceEpisodeIds = new Set<string>();
  for (const l of lines) {
    const raw = JSON.parse(l) as { personnummer: string; episodeId: string; indexEpisodeId?: string | null };
    sourceEpisodeIds.add(raw.episodeId);
    if (raw.indexEpisodeId) sourceEpisodeIds.add(raw.indexEpisodeId);
    const digits = raw.personnummer.replace(/\D/g, '');
    personnummer.add(digits).add(digits.slice(2)).add(`${digits.slice(0, 8)}-${digits.slice(8)}`).add(`${digits.slice(2, 8)}-${digits.slice(8)}`);
  }
  const rng = new Rng(o.seed);
  const arrival = [...events];
  let reordered = 0;
  for (let start = 0; start < arrival.length; start += 20) {
    const end = Math.min(arrival.length, start + 20);
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(rng.next() * (i - start + 1));
      if (j !== i) reordered++;
      [arrival[i], arrival[j]] = [arrival[j]!, arrival[i]!];
    }
  }
  const items: Item[] = arrival.map((event) => ({ kind: 'event', event }));
  let duplicates = 0;
  for (const event of events) {
    if (rng.next() >= o.duplicateShare) continue;
    const at = Math.min(items.length, items.findIndex((it) => it.kind === 'event' && it.event === event) + 1 + Math.floor(rng.next() * 500));
    items.splice(at, 0, { kind: 'event', event: { ...event } });
    duplicates++;
  }
  const malformed: Workload['malformed'] = [];
  const kinds: MalformedKind[] = ['bad-magic-byte', 'unknown-schema-id', 'truncated-avro', 'semantically-invalid'];
  const template = events.find((e) => e.type === 'admission')!;
  for (let n = 0; n < o.malformed; n++) {
    const kind = kinds[n % kinds.length]!;
    const at = Math.floor(rng.next() * items.length);
    if (kind === 'semantically-invalid') {
      // A withdrawal (or a cancelled discharge) for an episode with no ready notice (no
      // discharge): valid Avro that the clock must refuse, on an episode of its own.
      const type = n % 8 === 3 ? 'ready-withdrawn' : 'discharge-cancelled';
      const event = { ...template, type, eventId: `chaos-invalid-${n}`, episodeId: `CHAOS-INVALID-${n}`, data: { reasonCode: null } } as unknown as PatientEvent;
      items.splice(at, 0, { kind: 'event', event });
      malformed.push({ id: event.eventId, kind });
      continue;
    }
    const key = `malformed-${kind}-${n}`;
    const value = kind === 'bad-magic-byte' ? async () => Buffer.from([1, 0, 0, 0, 1, ...Buffer.from(`junk ${n}`)])
      : kind === 'unknown-schema-id' ? async () => Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0x00 + (n % 200)]), Buffer.from(`no such schema ${n}`)])
      : async (encode: (e: PatientEvent) => Promise<Buffer>) => {
        const whole = await encode(template);
        return whole.subarray(0, 5 + Math.floor((whole.length - 5) / 3));
      };
    items.splice(at, 0, { kind: 'raw', key, malformed: kind, value });
    malformed.push({ id: key, kind });
  }
  return { items, events, duplicates, reordered, malformed, personnummer: [...personnummer], sourceEpisodeIds: [...sourceEpisodeIds] };
}
