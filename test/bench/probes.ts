import { withCheckDigit } from '../../services/contract/personnummer.ts';
import { parseNdjsonEvent } from '../../services/contract/ndjson-event.ts';
import type { Pseudonymiser } from '../../services/contract/pseudonymise.ts';
import type { PatientEvent } from '../../services/contract/event.ts';
import type { EventProducer } from '../../services/producer/event-producer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Freshness probes: real episodes (admission + ready notice) on wards of their own
 * ("BENCH/probe-N"), timed from Kafka's acknowledgement until the query API's waiting census
 * grouped by ward shows the ward. The census is polled every 25 ms (plus the query's own time),
 * which bounds the resolution. Each probe is counted in the phase it was sent in.
 */
export class FreshnessProbes {
  phase = 'live';
  readonly latencies: Record<string, number[]> = {};
  /** Per probe seen, in the order seen: its phase, when it was sent (epoch ms) and its latency. */
  readonly timeline: { phase: string; sentAt: number; ms: number }[] = [];
  #seq = 0;
  readonly #sentAt = new Map<string, number>();
  readonly #phaseOf = new Map<string, string>();
  #polling = false;
  #poller: Promise<void> | undefined;

  constructor(
    private readonly o: {
      producer: EventProducer;
      pseudonymiser: Pseudonymiser;
      /** Makes episode ids unique to the run. */
      runId: string;
      apiUrl: string;
      token: string;
    },
  ) {}

  /** Probes sent and not seen yet. */
  get pending(): number {
    return this.#sentAt.size;
  }

  #events(n: number): PatientEvent[] {
    const now = Date.now();
    // A patient of their own per probe (a synthetic, valid number): one shared patient would make
    // every probe a readmission candidate of all the earlier ones.
    const personnummer = withCheckDigit(`1940${String(1 + (n % 12)).padStart(2, '0')}${String(1 + (Math.floor(n / 12) % 28)).padStart(2, '0')}${String(Math.floor(n / 336) % 1000).padStart(3, '0')}`);
    const base = { source: 'bench', personnummer, episodeId: `BENCH-${this.o.runId}-${n}` };
    const lines = [
      { ...base, type: 'admission', eventId: `bench-${n}-a`, occurredAt: new Date(now - 3_600_000).toISOString(), region: '18', hospital: 'BENCH', clinic: 'Bench', ward: `probe-${n}`, businessArea: 'Medicin', careType: 'SOMATIC', admissionType: 'ACUTE', homeMunicipality: '1880' },
      { ...base, type: 'ready-for-discharge', eventId: `bench-${n}-r`, occurredAt: new Date(now).toISOString(), recipientMunicipality: '1880', trackColour: 'GREEN', fastVardkontaktAppointed: true, sipNeeded: false },
    ];
    return lines.map((l, i) => parseNdjsonEvent(JSON.stringify(l), i + 1, this.o.pseudonymiser));
  }

  async send(): Promise<void> {
    const n = ++this.#seq;
    await this.o.producer.send(this.#events(n));
    const ward = `BENCH/probe-${n}`;
    this.#sentAt.set(ward, Date.now());
    this.#phaseOf.set(ward, this.phase);
  }

  start(): void {
    this.#polling = true;
    this.#poller = (async () => {
      while (this.#polling) {
        if (this.#sentAt.size > 0) await this.#poll();
        await sleep(25);
      }
    })();
  }

  async #poll(): Promise<void> {
    const r = await fetch(`${this.o.apiUrl}/api/v1/waiting?groupBy=ward&hospital=BENCH`, { headers: { authorization: `Bearer ${this.o.token}` } }).catch(() => undefined);
    if (!r?.ok) return;
    const seen = Date.now();
    for (const row of ((await r.json()) as { rows: { group: string }[] }).rows) {
      const t = this.#sentAt.get(row.group);
      if (t === undefined) continue;
      (this.latencies[this.#phaseOf.get(row.group)!] ??= []).push(seen - t);
      this.timeline.push({ phase: this.#phaseOf.get(row.group)!, sentAt: t, ms: seen - t });
      this.#sentAt.delete(row.group);
    }
  }

  /** Sends `count` probes at `rate` per second (each send waits for Kafka's ack first). */
  async run(count: number, rate: number, onSent?: (i: number) => void): Promise<void> {
    for (let i = 0; i < count; i++) {
      const t = Date.now();
      await this.send();
      onSent?.(i + 1);
      await sleep(Math.max(0, 1000 / rate - (Date.now() - t)));
    }
  }

  /** Waits until every probe was seen, or `timeoutMs`; what is still pending then counts as lost. */
  async settle(timeoutMs: number): Promise<void> {
    for (const until = Date.now() + timeoutMs; this.#sentAt.size > 0 && Date.now() < until; ) await sleep(50);
  }

  async stop(): Promise<void> {
    this.#polling = false;
    await this.#poller;
  }
}

/** Nearest-rank percentile; null for no data. */
export function percentile(xs: number[], p: number): number | null {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const latencySummary = (xs: number[]) => ({
  probes: xs.length,
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  p99: percentile(xs, 99),
  max: percentile(xs, 100),
});
