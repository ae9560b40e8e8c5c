import type { Logger } from 'pino';
import { stockholmDay } from '../core/stockholm-time.ts';
import { readingAt } from '../indicators/indicators.ts';
import type { Scope } from '../model/scope.ts';
import type { ReadPoint } from '../snapshot/read-model.ts';
import { storesEnded } from '../snapshot/generation-answers.ts';
import { PATIENT_LEVEL_ROUTES } from './access-log.ts';
import { contextOf, ROUTES, type ApiDeps } from './routes.ts';

/** A page to answer ahead: an indicator route, its query string and the scope it is asked in. */
export interface Ask {
  route: string;
  query: string;
  scope: Scope;
}

/**
 * The analytics pages' first requests (services/web/src/analytics.ts and the overview, who waits
 * and the invoice basis), each for the nation and for one region: a region's sums are the nation's
 * by region (indicators.ts, sums), so one region's page answers every region's generation part.
 */
const COMMON = ['indicators/mean-days?groupBy=month', 'indicators/mean-days', 'indicators/goal-fulfilment?groupBy=month', 'indicators/variation', 'track-colours', 'readmissions?groupBy=month', 'indicators/per-1000', 'overview', 'waiting', 'payment'];
export const COMMON_PAGES: Ask[] = COMMON.flatMap((page) => {
  const [route, query = ''] = page.split('?') as [string, string?];
  return [{ route, query, scope: { kind: 'nation' } }, { route, query, scope: { kind: 'region', region: '18' } }];
});

/** Routes whose answers come from the read model alone (not the forecast's Redis, not patient-level rows). */
const answerable = (route: string) => route in ROUTES && route !== 'forecast' && !PATIENT_LEVEL_ROUTES.has(route);

/**
 * The pages this process was asked for lately, most recent last, bounded: what the builder answers
 * ahead for a new generation besides COMMON_PAGES. One entry per route, query and scope, except
 * that every region counts as one (the latest asked): the regions' generation parts are one query.
 */
export class AskedPages {
  readonly #asks = new Map<string, Ask>();

  constructor(private readonly max = 48) {}

  record(route: string, scope: Scope, q: URLSearchParams): void {
    if (!answerable(route)) return;
    const query = new URLSearchParams([...q].filter(([k]) => k !== 'format').sort(([a], [b]) => a.localeCompare(b))).toString();
    const who = scope.kind === 'region' ? 'region' : JSON.stringify(scope);
    const key = `${route}?${query}|${who}`;
    this.#asks.delete(key);
    this.#asks.set(key, { route, query, scope });
    for (const k of this.#asks.keys()) {
      if (this.#asks.size <= this.max) break;
      this.#asks.delete(k);
    }
  }

  recent(): Ask[] {
    return [...this.#asks.values()].reverse();
  }
}

/**
 * Answers `asks` at `point` (a generation not recorded yet), `concurrency` at a time, and waits
 * until their generation parts are stored (generation-answers.ts): readers that switch to the
 * generation then find them. A page that fails is left to be computed when asked (logged); the
 * build goes on. Returns how many were answered.
 */
export async function warmPages(deps: ApiDeps, point: ReadPoint, asks: Ask[], log?: Logger, concurrency = 3): Promise<number> {
  const today = stockholmDay(deps.now());
  const queue = [...asks];
  let answered = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let ask = queue.shift(); ask; ask = queue.shift()) {
      try {
        const q = new URLSearchParams(ask.query);
        await ROUTES[ask.route]!.handler(readingAt(contextOf(deps, ask.route, q, ask.scope, today), point), q, deps);
        answered++;
      } catch (err) {
        log?.warn({ err, route: ask.route }, 'a page could not be answered ahead of its generation');
      }
    }
  }));
  await storesEnded();
  return answered;
}

/** COMMON_PAGES and the pages asked lately, without repeats. */
export function pagesToWarm(asked: AskedPages | undefined): Ask[] {
  const seen = new Set<string>();
  return [...COMMON_PAGES, ...(asked?.recent() ?? [])].filter((a) => {
    const key = `${a.route}?${a.query}|${a.scope.kind === 'region' ? 'region' : JSON.stringify(a.scope)}`;
    return !seen.has(key) && (seen.add(key), true);
  });
}
