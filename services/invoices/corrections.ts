import type { InvoiceBasis, SpecificationLine } from './invoice-basis.ts';

type Shown = Pick<SpecificationLine, 'paymentDays' | 'paymentDates' | 'billableDays' | 'billableDates' | 'liability' | 'amountSek' | 'discharged'>;

export interface Correction {
  change: 'added' | 'removed' | 'changed';
  episodeId: string;
  kommun: string;
  careType: string;
  frozen: Shown | null;
  live: Shown | null;
  billableDaysDelta: number;
  /** null when either side has no amount (a year without a figure). */
  amountSekDelta: number | null;
  /** What differs between the frozen line and the live one (specification field names). */
  fields: string[];
}

/** What the next invoice must settle: the live basis against the frozen one, per episode and per municipality and care type. */
export interface Corrections {
  month: string;
  region: string;
  episodes: Correction[];
  rows: { kommun: string; careType: string; billableDaysFrozen: number; billableDaysLive: number; billableDaysDelta: number; amountSekDelta: number | null }[];
}

const COMPARED: (keyof SpecificationLine)[] = ['kommun', 'careType', 'agreement', 'readyDays', 'readyEndDays', 'discharged', 'paymentDates', 'billableDates', 'liability', 'conditionsUnmet', 'amountSek', 'missingAmountYears'];
const shown = (s: SpecificationLine): Shown => ({ discharged: s.discharged, paymentDays: s.paymentDays, paymentDates: s.paymentDates, billableDays: s.billableDays, billableDates: s.billableDates, liability: s.liability, amountSek: s.amountSek });
const minus = (a: number | null | undefined, b: number | null | undefined) => (a === null || b === null ? null : (a ?? 0) - (b ?? 0));

export function corrections(frozen: InvoiceBasis, live: InvoiceBasis): Corrections {
  const before = new Map(frozen.specification.map((s) => [s.episodeId, s]));
  const after = new Map(live.specification.map((s) => [s.episodeId, s]));
  const episodes: Correction[] = [];
  for (const id of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const f = before.get(id);
    const l = after.get(id);
    const fields = f && l ? COMPARED.filter((k) => JSON.stringify(f[k]) !== JSON.stringify(l[k])) : [];
    if (f && l && fields.length === 0) continue;
    const any = (l ?? f)!;
    episodes.push({
      change: !f ? 'added' : !l ? 'removed' : 'changed', episodeId: id, kommun: any.kommun, careType: any.careType,
      frozen: f ? shown(f) : null, live: l ? shown(l) : null, fields,
      billableDaysDelta: (l?.billableDays ?? 0) - (f?.billableDays ?? 0), amountSekDelta: minus(l ? l.amountSek : 0, f ? f.amountSek : 0),
    });
  }
  // Per line, the whole line's totals on both sides: in the average model a late episode can
  // tip the municipality over the threshold and make every other episode billable too.
  const rows = new Map<string, Corrections['rows'][number] & { amountFrozen: number | null; amountLive: number | null }>();
  for (const [side, basis] of [['frozen', frozen], ['live', live]] as const) {
    for (const l of basis.rows) {
      const key = `${String(l.kommun)}|${String(l.careType)}`;
      const r = rows.get(key) ?? rows.set(key, { kommun: String(l.kommun), careType: String(l.careType), billableDaysFrozen: 0, billableDaysLive: 0, billableDaysDelta: 0, amountSekDelta: 0, amountFrozen: 0, amountLive: 0 }).get(key)!;
      const amount = l.amountSek === null ? null : Number(l.amountSek);
      if (side === 'frozen') [r.billableDaysFrozen, r.amountFrozen] = [r.billableDaysFrozen + Number(l.billableDays ?? 0), amount === null || r.amountFrozen === null ? null : r.amountFrozen + amount];
      else [r.billableDaysLive, r.amountLive] = [r.billableDaysLive + Number(l.billableDays ?? 0), amount === null || r.amountLive === null ? null : r.amountLive + amount];
    }
  }
  const changedLines = [...rows.values()]
    .map(({ amountFrozen, amountLive, ...r }) => ({ ...r, billableDaysDelta: r.billableDaysLive - r.billableDaysFrozen, amountSekDelta: minus(amountLive, amountFrozen) }))
    .filter((r) => r.billableDaysDelta !== 0 || r.amountSekDelta !== 0 || episodes.some((c) => c.kommun === r.kommun && c.careType === r.careType))
    .sort((a, b) => a.kommun.localeCompare(b.kommun) || a.careType.localeCompare(b.careType));
  return { month: frozen.month, region: frozen.region, episodes, rows: changedLines };
}
