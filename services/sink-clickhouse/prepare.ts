import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import type { CapacityRow } from '../reference/capacity.ts';
import { municipalities } from '../reference/municipalities.ts';
import type { PopulationTable } from '../reference/population.ts';
import { migrate } from './clickhouse.ts';
import { syncRegionDatabases, writeAnalyticsUsers } from './region-databases.ts';

/**
 * The tables and their reference rows (municipalities, population, capacity), once per process,
 * and again after a failure: a process that starts while ClickHouse is down prepares on its
 * first insert instead (the row buffer asks).
 */
export class ClickHousePreparation {
  #prepared: Promise<void> | undefined;

  constructor(
    private readonly clickhouse: ClickHouseClient,
    private readonly database: string,
    private readonly reference: { population: PopulationTable; capacity: CapacityRow[] },
    private readonly log: Logger,
    /** Regions with read-only SQL of their own (region-databases.ts), and where their users go. */
    private readonly analytics: { regions: readonly string[]; usersDir?: string; password: (region: string) => string } = { regions: [], password: () => '' },
  ) {}

  prepare(): Promise<void> {
    this.#prepared ??= this.#prepare().catch((e: unknown) => {
      this.#prepared = undefined;
      throw e;
    });
    return this.#prepared;
  }

  async #prepare(): Promise<void> {
    const { clickhouse, database } = this;
    const migrations = await migrate(clickhouse, database);
    if (migrations.length > 0) this.log.info({ migrations }, 'ClickHouse migrations applied');
    await clickhouse.insert({
      table: `${database}.municipalities`,
      values: [...municipalities.values()].map((m) => ({ kommunkod: m.code, kommun: m.name, lanskod: m.countyCode, lan: m.county })),
      format: 'JSONEachRow',
    });
    await clickhouse.insert({ table: `${database}.population`, values: this.reference.population.rows, format: 'JSONEachRow' });
    if (this.reference.capacity.length > 0) await clickhouse.insert({ table: `${database}.capacity`, values: this.reference.capacity, format: 'JSONEachRow' });
    const { regions, usersDir, password } = this.analytics;
    if (regions.length > 0) {
      await syncRegionDatabases(clickhouse, database, regions);
      const file = usersDir ? writeAnalyticsUsers(usersDir, database, regions, password) : undefined;
      this.log.info({ regions, usersFile: file ?? null }, 'regions\' analytics databases ready');
    }
  }
}
