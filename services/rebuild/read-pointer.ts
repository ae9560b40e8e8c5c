import { loadAgreementSet, type AgreementSet } from '../agreements/agreement-set.ts';
import { regionalRules } from '../agreements/regional-rules.ts';
import { LAW_DEFAULTS, OREBRO_RULES, type RegionRules } from '../clock/rules.ts';
import type { Config } from '../core/config.ts';
import type { RedisLike } from '../core/redis.ts';
import { logger } from '../core/log.ts';
import { RebuildRecords, type ActiveData } from './records.ts';

const log = logger('read-pointer');

/** The data one request reads: a ClickHouse database and the agreements its figures are computed under. */
export interface DataSide {
  /** The promoted rebuild, or null: the namespace's own data. */
  rebuild: string | null;
  /** Its Redis namespace: the clocks the board and the forecast read with its ClickHouse answers (side-clocks.ts). */
  namespace: string;
  db: string;
  rules: RegionRules;
  agreements: AgreementSet;
}

/** The deployment's rules with a set of agreements in them, as the pipeline makes its own. */
export const rulesWith = (config: Pick<Config, 'rules'>, set: AgreementSet): RegionRules => regionalRules(config.rules === 'law' ? LAW_DEFAULTS : OREBRO_RULES, set);

/**
 * Which data the API answers from: one pointer in Redis (records.ts, ActiveData), set by
 * `utklar rebuild --promote` with one SET and read here once per request, so a request reads
 * one side whole and the switch is atomic: every request after it reads the new side, none reads
 * half of each. Without a pointer (never promoted), the namespace's own database and agreements.
 * Redis away: the side last read (a request is not failed for the pointer's sake).
 */
export class ReadPointer {
  readonly #redis: () => RedisLike;
  readonly #sides = new Map<string, DataSide>();
  #last: DataSide;

  /**
   * `config` and `liveRules` are the deployment's own (the side read without a promotion), also in a
   * process that runs a promoted side. `redis` may be a function: such a process's connection is
   * its current pipeline's, which a switch of sides replaces (follow.ts).
   */
  constructor(redis: RedisLike | (() => RedisLike), private readonly config: Config, private readonly liveRules: RegionRules) {
    this.#redis = typeof redis === 'function' ? redis : () => redis;
    this.#last = this.#own();
  }

  #own(): DataSide {
    return { rebuild: null, namespace: this.config.namespace, db: this.config.clickhouseDatabase, rules: this.liveRules, agreements: this.config.agreements };
  }

  async current(): Promise<DataSide> {
    let active: ActiveData | null;
    try {
      active = await new RebuildRecords(this.#redis(), this.config.eventsNamespace).active();
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'the read pointer could not be read; answering from the side last read');
      return this.#last;
    }
    this.#last = active ? this.side(active) : this.#own();
    return this.#last;
  }

  /** A promoted rebuild's side; its agreements read once per rebuild (the files were checked when it was started). */
  side(active: ActiveData): DataSide {
    let side = this.#sides.get(active.id);
    if (!side) {
      const set = loadAgreementSet(active.agreements, this.config.rules);
      this.#sides.set(active.id, (side = { rebuild: active.id, namespace: active.namespace, db: active.database, rules: rulesWith(this.config, set), agreements: set }));
    }
    return side;
  }
}
