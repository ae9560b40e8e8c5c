import type { ClickHouseClient } from '@clickhouse/client';
import type { RedisLike } from '../core/redis.ts';
import type { Admin } from 'kafkajs';
import { boardSnapshot } from '../board/board-feed.ts';
import { parseFilters } from '../model/filters.ts';
import type { ClockReads } from '../store/clock-reads.ts';
import type { RegionRules } from '../clock/rules.ts';
import type { StoredEpisode } from '../clock/stored-episode.ts';
import { topics } from '../core/config.ts';
import { epochDay, fromEpochDay, isoDate, stockholmDay } from '../core/stockholm-time.ts';
import { payment } from '../indicators/indicators.ts';
import { consumerLag, hasUnreadOlderThan, messageCount } from '../kafka/lag.ts';
import type { CapacityRow } from '../reference/capacity.ts';
import type { PopulationTable } from '../reference/population.ts';
import type { ClosedEpisode, MunicipalityAverage, Observations, OpenEpisode } from './evaluate.ts';
import type { AlertRule } from './rules.ts';

const DAY = 86_400_000;

export interface ObserverDeps {
  redis: RedisLike;
  clocks: ClockReads;
  admin: Admin;
  clickhouse: ClickHouseClient;
  database: string;
  namespace: string;
  groupPrefix: string;
  regionRules: RegionRules;
  population: PopulationTable;
  capacity: CapacityRow[];
}

/** Redis key of the heartbeats every pipeline service writes (services/app/heartbeats.ts). */
export const heartbeatsKey = (ns: string) => `${ns}:health:heartbeats`;

/**
 * Gathers what the rules look at, and only that: the open ready episodes (Redis), recently
 * discharged ones with data-quality problems (Redis), month-to-date municipality averages
 * (ClickHouse, the same query as the invoice basis), consumer positions (Kafka) and heartbeats.
 */
export class Observer {
  readonly #since = Date.now();
  readonly #samplesKey: string;

  constructor(private readonly d: ObserverDeps, private readonly rules: AlertRule[]) {
    this.#samplesKey = `${d.namespace}:alerts:dead-letter-samples`;
  }

  #needs(...kinds: AlertRule['kind'][]): AlertRule[] {
    return this.rules.filter((r) => kinds.includes(r.kind));
  }

  async observe(now: number): Promise<Observations> {
    const today = stockholmDay(now);
    const [episodes, closed, averages, health] = await Promise.all([
      this.#needs('utklar-days', 'sip-not-called', 'ready-without-admission-notice', 'payment-started', 'ward-bed-share').length > 0 ? this.#open(now) : [],
      this.#closed(now),
      this.#needs('municipality-average').length > 0 ? this.#averages(today) : [],
      this.#health(now),
    ]);
    return {
      today, episodes, closed, averages, wardBeds: this.#wardBeds(today), ...health, watchingSince: this.#since, now,
      paymentThreshold: this.d.regionRules.payment.model === 'municipal-average' ? this.d.regionRules.payment.threshold : 3,
    };
  }

  async #open(now: number): Promise<OpenEpisode[]> {
    const regions = await this.d.clocks.regionsWithOpen();
    return (await Promise.all(regions.map(async (region) =>
      (await boardSnapshot(this.d.clocks, { region }, { kind: 'region', region }, this.d.regionRules, now)).map((e) => ({ ...e, region }))))).flat();
  }

  /** Discharges within the longest look-back of the data-quality rules, from the closed sets. */
  async #closed(now: number): Promise<ClosedEpisode[]> {
    const within = Math.max(-1, ...this.#needs('discharge-without-ready-notice').map((r) => r.days));
    if (within < 0) return [];
    // A closed discharge is scored by when it may be evicted: discharge + (retain + 1) days.
    const minScore = now - (within + 1) * DAY + (this.d.regionRules.retainClosedEpisodeDays + 1) * DAY;
    const out: ClosedEpisode[] = [];
    for (const { state: s } of await this.d.clocks.closedEpisodes(minScore)) {
      if (s.status !== 'DISCHARGED' || s.dischargedAt === null || !s.admission || s.problems.length === 0) continue;
      out.push({
        episodeId: s.episodeId, region: s.admission.region, hospital: s.admission.hospital, ward: s.admission.ward,
        homeMunicipality: s.admission.homeMunicipality, careType: s.admission.careType, dischargedDay: stockholmDay(s.dischargedAt), problems: s.problems,
      });
    }
    return out;
  }

  async #averages(today: number): Promise<MunicipalityAverage[]> {
    const t = fromEpochDay(today);
    const fromDay = epochDay({ year: t.year, month: t.month, day: 1 });
    const month = isoDate(t).slice(0, 7);
    const regions = await (await this.d.clickhouse.query({
      query: `SELECT DISTINCT region FROM ${this.d.database}.episode_facts WHERE discharged_day >= ${fromDay}`, format: 'JSONEachRow',
    })).json<{ region: string }>();
    const out: MunicipalityAverage[] = [];
    for (const { region } of regions) {
      const ctx = {
        client: this.d.clickhouse, db: this.d.database, filters: parseFilters(new URLSearchParams(), { fromDay, toDay: today }),
        scope: { kind: 'region' as const, region }, today, rules: this.d.regionRules, population: this.d.population,
      };
      // The invoice basis's lines: `kommun` is the liable municipality (the ready notice's recipient), not the home one.
      for (const r of (await payment(ctx, { fromDay, toDay: today })).rows) {
        out.push({ region, municipality: String(r.kommun), careType: String(r.careType), month, episodes: Number(r.episodes), average: Number(r.average) });
      }
    }
    return out;
  }

  #wardBeds(today: number): Record<string, number> {
    const latest = new Map<string, CapacityRow>();
    for (const row of this.d.capacity) {
      const key = `${row.hospital}/${row.ward}`;
      const seen = latest.get(key);
      if (row.day <= today && (!seen || row.day > seen.day || (row.day === seen.day && row.version > seen.version))) latest.set(key, row);
    }
    return Object.fromEntries([...latest].map(([k, r]) => [k, r.beds]));
  }

  async #health(now: number): Promise<Pick<Observations, 'lag' | 'stale' | 'deadLetters' | 'heartbeats'>> {
    const t = topics(this.d.namespace);
    const topicOf = (_consumer: string) => t.patientEvents;
    const group = (consumer: string) => `${this.d.groupPrefix}.${consumer}`;
    const lag: Record<string, number> = {};
    for (const r of this.#needs('consumer-lag')) lag[r.subject!] = await consumerLag(this.d.admin, group(r.subject!), topicOf(r.subject!));
    const stale: Record<string, boolean> = {};
    for (const r of this.#needs('freshness')) {
      stale[`${r.subject}|${r.max}`] = await hasUnreadOlderThan(this.d.admin, group(r.subject!), topicOf(r.subject!), now - r.max);
    }
    const growth = this.#needs('dead-letter-growth');
    let deadLetters: Observations['deadLetters'] = { count: 0, samples: [] };
    if (growth.length > 0) {
      const count = await messageCount(this.d.admin, t.deadLetter);
      const keep = Math.max(...growth.map((r) => r.withinMs)) + 60_000;
      // Samples live in Redis so that a restarted alerting service still sees the growth that
      // began before it (and neither re-fires nor resolves by forgetting).
      const raw = await this.d.redis.multi()
        .zremrangebyscore(this.#samplesKey, 0, now - keep)
        .zrangebyscore(this.#samplesKey, 0, '+inf')
        .zadd(this.#samplesKey, now, `${now}:${count}`)
        .exec();
      const members = (raw?.[1]?.[1] as string[] | undefined) ?? [];
      deadLetters = { count, samples: members.map((m) => m.split(':').map(Number) as [number, number]) };
    }
    const beats = this.#needs('service-silent').length > 0 ? await this.d.redis.hgetall(heartbeatsKey(this.d.namespace)) : {};
    return { lag, stale, deadLetters, heartbeats: Object.fromEntries(Object.entries(beats).map(([k, v]) => [k, Number(v)])) };
  }
}
