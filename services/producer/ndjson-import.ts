import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UtklarError } from '../core/errors.ts';
import type { PatientEvent } from '../contract/event.ts';
import { parseNdjsonEvent } from '../contract/ndjson-event.ts';
import type { Pseudonymiser } from '../contract/pseudonymise.ts';
import type { EventProducer } from './event-producer.ts';

export interface LineProblem {
  line: number;
  code: string;
  message: string;
}

export interface ImportSummary {
  lines: number;
  sent: number;
  rejected: number;
  problems: LineProblem[];
}

/**
 * Streams NDJSON into Kafka: every line is validated and pseudonymised on its own, good lines go
 * in transactional batches, bad lines are reported with their line number and never stop the rest.
 */
export async function importNdjson(
  input: Readable,
  pseudonymiser: Pseudonymiser,
  producer: EventProducer,
  opts: { batchSize?: number; onProblem?: (p: LineProblem) => void } = {},
): Promise<ImportSummary> {
  const batchSize = opts.batchSize ?? 1000;
  const summary: ImportSummary = { lines: 0, sent: 0, rejected: 0, problems: [] };
  const report = (p: LineProblem) => {
    summary.rejected += 1;
    summary.problems.push(p);
    opts.onProblem?.(p);
  };
  let batch: { line: number; event: PatientEvent }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const lineOf = new Map(batch.map((b) => [b.event, b.line]));
    const rejected = await producer.send(batch.map((b) => b.event));
    for (const r of rejected) report({ line: lineOf.get(r.event) ?? 0, code: r.error.code, message: r.error.message });
    summary.sent += batch.length - rejected.length;
    batch = [];
  };

  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const text of rl) {
    summary.lines += 1;
    if (text.trim() === '') continue;
    try {
      batch.push({ line: summary.lines, event: parseNdjsonEvent(text, summary.lines, pseudonymiser) });
    } catch (e) {
      if (!(e instanceof UtklarError)) throw e;
      report({ line: summary.lines, code: e.code, message: e.message });
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return summary;
}
