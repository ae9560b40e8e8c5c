import type { ClickHouseClient } from '@clickhouse/client';
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { Redis, Cluster } from 'ioredis';
import type { AgreementSet } from '../agreements/agreement-set.ts';
import type { RegionRules } from '../clock/rules.ts';
import { hasUnreadOlderThan } from '../kafka/lag.ts';
import { int } from '../indicators/sql.ts';
import type { PartitionOwnership } from '../model/partition-ownership.ts';
import type { PopulationTable } from '../reference/population.ts';
import { QUERY_SETTINGS } from '../snapshot/read-model.ts';
import { stockholmDay } from '../core/stockholm-time.ts';
import { AutoFreezer } from './auto-freeze.ts';
import { freezeInvoice, isFrozen } from './frozen-invoices.ts';
import { liveInvoice } from './invoice-read.ts';

export interface InvoiceFreezerDeps {
  workingDay: number;
  from: string | null;
  client: ClickHouseClient;
  db: string;
  admin: Admin;
  /** The processor's group and topic: "caught up" is that group having read everything produced before the deadline. */
  groupId: string;
  topic: string;
  redis: Redis | Cluster;
  outboxKeys: string[];
  ownership: PartitionOwnership;
  rules: RegionRules;
  agreements: AgreementSet;
  population: PopulationTable;
  log: Logger;
  now?: () => number;
}

export const AUTO_FREEZE_BY = 'utklar (automatiskt)';

/** The freezer with its real inputs: Kafka's offsets, the outboxes in Redis, the facts in ClickHouse. */
export function invoiceFreezer(d: InvoiceFreezerDeps): { round: () => Promise<void>; freezer: AutoFreezer } {
  const now = d.now ?? Date.now;
  const freezer = new AutoFreezer({
    workingDay: d.workingDay,
    from: d.from,
    now,
    log: d.log,
    caughtUp: async (deadline) => {
      if (await hasUnreadOlderThan(d.admin, d.groupId, d.topic, deadline)) return false;
      // Every partition's outbox, not only this process's: their facts reach ClickHouse when published.
      for (const key of d.outboxKeys) if ((await d.redis.xlen(key)) > 0) return false;
      return true;
    },
    regions: async (month) => {
      const rows = await (await d.client.query({
        query: `SELECT DISTINCT region FROM ${d.db}.episode_facts WHERE discharged_day >= ${int(month.fromDay)} AND discharged_day <= ${int(month.toDay)} AND length(ready_start_days) > 0 ORDER BY region`,
        format: 'JSONEachRow', clickhouse_settings: QUERY_SETTINGS,
      })).json<{ region: string }>();
      return rows.map((r) => r.region);
    },
    isFrozen: (region, month) => isFrozen(d.client, d.db, region, month.label),
    freeze: async (region, month) => {
      const source = { client: d.client, db: d.db, rules: d.rules, agreements: d.agreements, population: d.population };
      const basis = await liveInvoice(source, { kind: 'region', region }, region, month, stockholmDay(now()));
      return freezeInvoice(d.client, d.db, basis, d.agreements, AUTO_FREEZE_BY, now());
    },
  });
  // One freezer in a group of processes: the owner of partition 0, as for the read model.
  return { freezer, round: async () => (d.ownership.assigned.includes(0) ? freezer.round() : undefined) };
}
