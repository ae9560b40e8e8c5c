import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one pipeline process (scraped at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'utklar_' });
  const registers = [registry];
  return {
    registry,
    consumed: new Counter({ name: 'utklar_events_consumed_total', help: 'Kafka messages consumed', labelNames: ['consumer'] as const, registers }),
    deadLettered: new Counter({ name: 'utklar_events_dead_lettered_total', help: 'Messages sent to the dead-letter topic', labelNames: ['consumer', 'code'] as const, registers }),
    batchSize: new Histogram({ name: 'utklar_consumer_batch_messages', help: 'Messages per fetched batch', labelNames: ['consumer'] as const, buckets: [1, 10, 50, 100, 250, 500, 1000, 5000], registers }),
    batchSeconds: new Histogram({ name: 'utklar_consumer_batch_seconds', help: 'Time to handle and commit one batch', labelNames: ['consumer'] as const, buckets: [0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers }),
    eventAgeSeconds: new Histogram({
      name: 'utklar_consumer_event_age_seconds', help: 'From a message\'s produce time until its batch was handled (the newest message of each batch)',
      labelNames: ['consumer'] as const, buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300], registers,
    }),
    lag: new Gauge({ name: 'utklar_consumer_lag_messages', help: 'Messages the consumer group has still to read (measured at scrape)', labelNames: ['consumer'] as const, registers }),
    deadLetterMessages: new Gauge({ name: 'utklar_dead_letter_messages', help: 'Messages in the dead-letter topic (measured at scrape)', registers }),
    rowsPending: new Gauge({ name: 'utklar_clickhouse_rows_pending', help: 'Event rows and episode facts buffered for ClickHouse, not yet stored (the offsets and outbox entries behind them wait)', registers }),
    rowsWritten: new Counter({ name: 'utklar_clickhouse_rows_written_total', help: 'Event rows inserted into ClickHouse', registers }),
    alerts: new Counter({ name: 'utklar_alerts_total', help: 'Alerts announced, by status (firing / resolved)', labelNames: ['status'] as const, registers }),
    alertsDelivered: new Counter({ name: 'utklar_alert_deliveries_total', help: 'Alert announcements delivered to a receiver (webhook 2xx or Kafka ack)', registers }),
    apiRequests: new Counter({ name: 'utklar_api_requests_total', help: 'Query API requests by HTTP status', labelNames: ['status'] as const, registers }),
    factsWritten: new Counter({ name: 'utklar_clickhouse_facts_written_total', help: 'Episode fact rows (one per changelog message) inserted into ClickHouse', registers }),
    clockUpdates: new Counter({ name: 'utklar_clock_updates_total', help: 'Events applied to clock state (replays excluded)', registers }),
    clockConflicts: new Counter({ name: 'utklar_clock_batch_conflicts_total', help: 'Clock batches that met state changed underneath and went on one event at a time', registers }),
    outboxWaits: new Counter({ name: 'utklar_clock_outbox_wait_seconds_total', help: 'Time the clock waited for the outbox publisher to catch up (a partition\'s outbox held more than OUTBOX_HIGH_WATER entries)', registers }),
    outboxPublished: new Counter({ name: 'utklar_outbox_published_total', help: 'Derived messages (changelog, clock events, dead letters) published from the Redis outbox', registers }),
    evicted: new Counter({ name: 'utklar_clock_episodes_evicted_total', help: 'Closed episodes forgotten after their readmission window', registers }),
    timersFired: new Counter({ name: 'utklar_clock_timers_fired_total', help: 'Day boundaries announced by the timer worker', registers }),
    produced: new Counter({ name: 'utklar_events_produced_total', help: 'Events produced by the simulator in this process', registers }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
