import type { Logger } from 'pino';
import type { Freeze } from './frozen-invoices.ts';
import { freezeDeadline, monthsDue, type InvoiceMonth } from './freeze-schedule.ts';

export interface AutoFreezeOptions {
  workingDay: number;
  from: string | null;
  now: () => number;
  /**
   * Whether every event produced before `deadline` has been applied and every change it made is
   * on its way out (nothing unread before the deadline, no outbox entry waiting). A basis frozen
   * while a replay is behind would bill half a month.
   */
  caughtUp: (deadline: number) => Promise<boolean>;
  /** Regions with episodes to invoice that month (discharged with ready days). */
  regions: (month: InvoiceMonth) => Promise<string[]>;
  isFrozen: (region: string, month: InvoiceMonth) => Promise<boolean>;
  freeze: (region: string, month: InvoiceMonth) => Promise<Freeze>;
  log: Logger;
  /**
   * How long "caught up" must hold before a freeze: what was in flight at the first look (a row
   * buffer's last rows, an outbox's gathered batch) lands within it.
   */
  settleMs?: number;
}

/**
 * Freezes each region's invoice basis once its month's deadline has passed (freeze-schedule.ts),
 * as `utklar invoice --freeze` would, signed `utklar (automatiskt)`. One process runs it (the
 * owner of the events topic's partition 0); a freeze that loses a race to a hand-made one is
 * refused by freezeInvoice and only logged.
 */
export class AutoFreezer {
  #caughtUpSince: number | null = null;
  /**
   * Months whose every region is frozen: not looked at again by this process (the regions query
   * reads the month's facts). A region whose first episode of a month arrives after that is
   * frozen by hand, like any late change.
   */
  readonly #done = new Set<string>();
  readonly frozen: { region: string; month: string; freeze: Freeze }[] = [];

  constructor(private readonly o: AutoFreezeOptions) {}

  /** One look: freezes what is due, or waits for the pipeline to have caught up. */
  async round(): Promise<void> {
    const now = this.o.now();
    const due = monthsDue(now, this.o.workingDay, this.o.from);
    const todo: { region: string; month: InvoiceMonth }[] = [];
    for (const month of due) {
      if (this.#done.has(month.label)) continue;
      const open: string[] = [];
      for (const region of await this.o.regions(month)) if (!(await this.o.isFrozen(region, month))) open.push(region);
      if (open.length === 0) this.#done.add(month.label);
      for (const region of open) todo.push({ region, month });
    }
    if (todo.length === 0) {
      this.#caughtUpSince = null;
      return;
    }
    const latest = Math.max(...todo.map((t) => freezeDeadline(t.month, this.o.workingDay)));
    if (!(await this.o.caughtUp(latest))) {
      if (this.#caughtUpSince !== null) this.o.log.info({ months: due.map((m) => m.label) }, 'invoice freeze waits: the pipeline has not caught up with the deadline');
      this.#caughtUpSince = null;
      return;
    }
    this.#caughtUpSince ??= now;
    if (now - this.#caughtUpSince < (this.o.settleMs ?? 30_000)) return;
    for (const { region, month } of todo) {
      try {
        const freeze = await this.o.freeze(region, month);
        this.frozen.push({ region, month: month.label, freeze });
        this.o.log.info({ region, month: month.label, contentHash: freeze.contentHash }, 'invoice basis frozen automatically');
      } catch (e) {
        // Frozen meanwhile by hand or by a process that owned partition 0 a moment ago: that freeze counts.
        if ((e as { code?: string }).code === 'CONFLICT') this.o.log.info({ region, month: month.label }, 'invoice basis was frozen meanwhile; that freeze counts');
        else throw e;
      }
    }
  }
}
