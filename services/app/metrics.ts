import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one pipeline process (scraped at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'utklar_' });
  return {
    registry,
    consumed: new Counter({ name: 'utklar_events_consumed_total', help: 'Kafka messages consumed', labelNames: ['consumer'] as const, registers: [registry] }),
    deadLettered: new Counter({ name: 'utklar_events_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['consumer', 'code'] as const, registers: [registry] }),
    rowsWritten: new Counter({ name: 'utklar_clickhouse_rows_written_total', help: 'Event rows inserted into ClickHouse', registers: [registry] }),
    alerts: new Counter({ name: 'utklar_alerts_total', help: 'Alerts announced, by status (firing / resolved)', labelNames: ['status'] as const, registers: [registry] }),
    apiRequests: new Counter({ name: 'utklar_api_requests_total', help: 'Query API requests by HTTP status', labelNames: ['status'] as const, registers: [registry] }),
    factsWritten: new Counter({ name: 'utklar_clickhouse_facts_written_total', help: 'Episode fact rows (one per changelog message) inserted into ClickHouse', registers: [registry] }),
    episodeUpdates: new Counter({ name: 'utklar_episode_updates_total', help: 'Events applied to Redis episode records (replays excluded)', registers: [registry] }),
    clockUpdates: new Counter({ name: 'utklar_clock_updates_total', help: 'Events applied to clock state (replays excluded)', registers: [registry] }),
    evicted: new Counter({ name: 'utklar_clock_episodes_evicted_total', help: 'Closed episodes forgotten after their readmission window', registers: [registry] }),
    timersFired: new Counter({ name: 'utklar_clock_timers_fired_total', help: 'Day boundaries announced by the timer worker', registers: [registry] }),
    produced: new Counter({ name: 'utklar_events_produced_total', help: 'Events produced by the simulator in this process', registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
