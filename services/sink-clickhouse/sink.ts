import type { ClickHouseClient } from '@clickhouse/client';
import type { DecodedEvent } from '../kafka/event-consumer.ts';
import { UtklarError } from '../core/errors.ts';
import { toEventRow } from './event-rows.ts';

/**
 * Writes a decoded batch as one INSERT. Replays re-insert identical rows, which the table's
 * ReplacingMergeTree key collapses, so the effect is exactly-once without insert tokens
 * (which ClickHouse 18.16 lacks).
 */
export class ClickHouseEventSink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly now: () => number = Date.now,
  ) {}

  async write(batch: DecodedEvent[]): Promise<void> {
    if (batch.length === 0) return;
    const nowMs = this.now();
    try {
      await this.client.insert({
        table: `${this.database}.events`,
        values: batch.map((d) => toEventRow(d, nowMs)),
        format: 'JSONEachRow',
      });
    } catch (cause) {
      throw new UtklarError('DEPENDENCY_UNAVAILABLE', `clickhouse: insert of ${batch.length} events failed: ${(cause as Error).message}`, {
        retriable: true,
        cause,
      });
    }
  }
}
