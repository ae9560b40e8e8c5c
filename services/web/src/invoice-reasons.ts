import { CONDITION, label } from './codes.ts';
import { lang, number, t, type MessageKey } from './i18n.ts';
import { sv } from './messages.ts';

/**
 * The invoice API states each specification line's reason as a Swedish sentence (the CSV carries
 * it as such, and the API takes no language). The English page reads the sentence back with the
 * Swedish templates of `reason.*` and says it with the English ones, its numbers in English
 * format; a sentence no template matches is shown as the API wrote it, marked as Swedish.
 */
const REASONS = ['reason.noAgreement', 'reason.dayZero', 'reason.notOver', 'reason.overAllDays', 'reason.overDaysAfter', 'reason.conditionsUnmet', 'reason.conditionUnknown', 'reason.daysAfterFree', 'reason.withinFree'] as const satisfies readonly MessageKey[];
const PENDING = sv['reason.pending'];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const PATTERNS = REASONS.map((key) => {
  const names: string[] = [];
  const source = sv[key].split(/(\{\w+\})/).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (!name) return escape(part);
    names.push(name);
    return '(.+?)';
  }).join('');
  return { key, names, re: new RegExp(`^${source}$`) };
});

/** A number as the API writes it ("3", "3,67"), in the page's format. */
function decimal(s: string): string {
  const x = Number(s.replace(',', '.'));
  return Number.isFinite(x) && /^-?\d+(,\d+)?$/.test(s) ? number(x, 0, 2) : s;
}

function param(name: string, value: string): string {
  if (name === 'conditions') return value.split(', ').map((c) => label(CONDITION, c, lang)).join(', ');
  if (name === 'region') return value;
  return decimal(value);
}

/** The reason in the page's language, and whether it had to stay Swedish. */
export function invoiceReason(text: string): { text: string; swedish: boolean } {
  // In Swedish only the sentence naming conditions is rewritten: the API names them by code.
  if (lang === 'sv' && !text.startsWith(sv['reason.conditionsUnmet'].split('{')[0]!)) return { text, swedish: true };
  const pending = text.endsWith(PENDING);
  const core = pending ? text.slice(0, -PENDING.length) : text;
  for (const { key, names, re } of PATTERNS) {
    const m = re.exec(core);
    if (!m) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, param(n, m[i + 1]!)]));
    return { text: t(key, params) + (pending ? t('reason.pending') : ''), swedish: false };
  }
  return { text, swedish: true };
}
