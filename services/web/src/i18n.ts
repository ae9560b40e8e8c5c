import { MESSAGES, type Lang, type MessageKey } from './messages.ts';

/**
 * The page's language and the formats that go with it. Swedish unless the URL says `?lang=en`
 * (a shared link keeps the language) or the browser remembers English from an earlier choice;
 * the choice is remembered and written into the URL, so a reload and the links between pages
 * keep it. Swedish is never added to a URL by itself: the default needs no parameter, and pages
 * linked without one stay as they always were.
 */
export type { Lang, MessageKey };
const STORE = 'utklar.lang';
const isLang = (s: string | null | undefined): s is Lang => s === 'sv' || s === 'en';

function stored(): string | null {
  try {
    return localStorage.getItem(STORE);
  } catch {
    return null;
  }
}

function chooseLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  const chosen: Lang = isLang(fromUrl) ? fromUrl : isLang(stored()) ? (stored() as Lang) : 'sv';
  try {
    localStorage.setItem(STORE, chosen);
  } catch {
    // Private windows may refuse storage: the URL still carries the choice.
  }
  if (!isLang(fromUrl) && chosen !== 'sv') history.replaceState(history.state, '', withLang(location.pathname + location.search + location.hash, chosen));
  return chosen;
}

/** `href` with the language parameter the choice needs (none for Swedish unless `lang` is given explicitly). */
export function withLang(href: string, explicit?: Lang): string {
  const target = explicit ?? lang;
  const url = new URL(href, location.href);
  if (explicit || target !== 'sv') url.searchParams.set('lang', target);
  else url.searchParams.delete('lang');
  return url.origin === location.origin ? url.pathname + url.search + url.hash : url.href;
}

export const lang: Lang = chooseLang();
const LOCALE = lang === 'sv' ? 'sv-SE' : 'en-GB';

/** The text of `key` in the page's language, `{name}` replaced by `params.name`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return MESSAGES[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Swedish: decimal comma and a (non-breaking) space between thousands; English (en-GB): decimal point and comma. */
const numberFmts = new Map<string, Intl.NumberFormat>();
export function number(x: number, minFraction = 0, maxFraction = minFraction): string {
  const key = `${minFraction}:${maxFraction}`;
  let f = numberFmts.get(key);
  if (!f) numberFmts.set(key, (f = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: minFraction, maximumFractionDigits: maxFraction })));
  return f.format(x);
}

const kronorFmt = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'SEK', minimumFractionDigits: 0, maximumFractionDigits: 0 });
export const kronor = (sek: number): string => kronorFmt.format(sek);

// sv-SE writes 2023-11-02; en-GB's short form (02/11/2023) reads as February to a US reader, so the medium one (2 Nov 2023).
const dateFmt = new Intl.DateTimeFormat(LOCALE, { dateStyle: lang === 'sv' ? 'short' : 'medium', timeZone: 'UTC' });
const timeFmt = new Intl.DateTimeFormat(LOCALE, { dateStyle: lang === 'sv' ? 'short' : 'medium', timeStyle: 'short', timeZone: 'Europe/Stockholm' });
const monthFmt = new Intl.DateTimeFormat(LOCALE, { month: 'long', year: 'numeric', timeZone: 'UTC' });
/** A calendar day, `YYYY-MM-DD`. */
export const date = (iso: string): string => dateFmt.format(new Date(`${iso}T00:00:00Z`));
/** An instant, as a Stockholm date and time. */
export const dateTime = (ms: number): string => timeFmt.format(new Date(ms));
const secondsFmt = new Intl.DateTimeFormat(LOCALE, { dateStyle: lang === 'sv' ? 'short' : 'medium', timeStyle: 'medium', timeZone: 'Europe/Stockholm' });
const weekdayFmt = new Intl.DateTimeFormat(LOCALE, { weekday: 'short', timeZone: 'UTC' });
/** An instant to the second (an audit trail's "when"): "2026-03-02 14:05:33". */
export const dateTimeSeconds = (ms: number): string => secondsFmt.format(new Date(ms));
/** A calendar day's weekday, `YYYY-MM-DD`: "mån", "Mon". */
export const weekday = (iso: string): string => weekdayFmt.format(new Date(`${iso}T00:00:00Z`));
/** A month, `YYYY-MM`: "november 2023", "November 2023". */
export const monthName = (ym: string): string => monthFmt.format(new Date(`${ym}-01T00:00:00Z`));

/**
 * The static HTML's texts from the catalogue: an element's `data-i18n` names its text,
 * `data-i18n-placeholder` / `data-i18n-aria-label` its attributes (the HTML holds the Swedish as
 * a fallback for a page without script; test/unit/web-messages.test.ts keeps the two equal).
 */
export function translatePage(): void {
  document.documentElement.lang = lang;
  for (const e of document.querySelectorAll<HTMLElement>('[data-i18n]')) e.textContent = t(e.dataset.i18n as MessageKey);
  for (const e of document.querySelectorAll<HTMLElement>('[data-i18n-placeholder]')) e.setAttribute('placeholder', t(e.dataset.i18nPlaceholder as MessageKey));
  for (const e of document.querySelectorAll<HTMLElement>('[data-i18n-aria-label]')) e.setAttribute('aria-label', t(e.dataset.i18nAriaLabel as MessageKey));
}

/** "Svenska | English": each name in its own language; choosing one reloads the page in it, the URL's other parameters kept. */
export function languageSwitch(): HTMLElement {
  const nav = document.createElement('nav');
  nav.className = 'lang';
  nav.setAttribute('aria-label', t('lang.label'));
  const names: [Lang, string][] = [['sv', 'Svenska'], ['en', 'English']];
  names.forEach(([code, name], i) => {
    if (i > 0) nav.append(' | ');
    const a = document.createElement('a');
    a.textContent = name;
    a.lang = code;
    a.hreflang = code;
    a.id = `lang-${code}`;
    a.href = withLang(location.pathname + location.search + location.hash, code);
    if (code === lang) a.setAttribute('aria-current', 'true');
    // The URL may have changed since the link was drawn (a page keeps its filters there).
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      location.href = withLang(location.pathname + location.search + location.hash, code);
    });
    nav.append(a);
  });
  return nav;
}
