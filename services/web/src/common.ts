import { languageSwitch, t, withLang } from './i18n.ts';
import { useAreas, type Areas } from './areas.ts';

/** Shared by the pages: the signed-in scope, API calls with the session cookie, small DOM helpers. */
export interface Me {
  scope: string;
  /** `audit`: an auditor (audit:NN), who reads the access log and nothing else. */
  kind: 'nation' | 'region' | 'municipality' | 'unit' | 'audit';
}

/** Where a scope starts (as the login sends it): the nation reads statistics, an auditor the access log. */
export const startPage = (who: Me): string => (who.kind === 'nation' ? '/riket.html' : who.kind === 'audit' ? '/access-log.html' : '/board.html');

export async function api<T>(path: string): Promise<T> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401) {
    location.href = withLang('/login.html');
    throw new Error(t('common.notSignedIn'));
  }
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${r.status}`);
  return (await r.json()) as T;
}

export const me = () => api<Me>('/api/v1/me');

/**
 * The signed-in scope, or undefined when this page is not for it: it is then sent to its own start
 * page, before the page asks anything else (the reference data, the figures), which would be refused.
 */
export async function signedInFor(refused: readonly Me['kind'][]): Promise<Me | undefined> {
  const who = await me();
  if (!refused.includes(who.kind)) return who;
  location.replace(withLang(startPage(who)));
  return undefined;
}

/** The län and kommuner (reference data), made the names every page shows; `year`: the period's first, for the 65+ population. */
export const loadAreas = async (year?: number): Promise<Areas> => useAreas(await api<Areas>(`/api/v1/areas${year ? `?year=${year}` : ''}`));

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function header(active: 'board' | 'analytics' | 'reports' | 'invoices' | 'riket' | 'access-log' | 'changes', who: Me): HTMLElement {
  const link = (href: string, text: string, on: boolean) => el('a', { href: withLang(href), class: on ? 'active' : '' }, text);
  const logout = el('button', { type: 'button', id: 'logout' }, t('nav.logout'));
  logout.addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST' });
    location.href = withLang('/login.html');
  });
  const signedIn = el('span', { class: 'who', 'data-scope': who.scope }, t('nav.signedIn', { scope: who.scope }));
  // An auditor's token reads the access log only: every other page would refuse it.
  if (who.kind === 'audit') return el('header', {}, el('strong', {}, 'utklar'), link('/access-log.html', t('nav.accessLog'), active === 'access-log'), signedIn, languageSwitch(), logout);
  return el('header', {}, el('strong', {}, 'utklar'),
    // The nation reads statistics, not the live board (it names patients' stays).
    who.kind === 'nation' ? link('/riket.html', t('nav.riket'), active === 'riket') : link('/board.html', t('nav.board'), active === 'board'),
    link('/analytics.html', t('nav.analytics'), active === 'analytics'),
    link('/reports.html', t('nav.reports'), active === 'reports'),
    // Invoices are between the region and the liable municipalities: a unit reads none.
    ...(who.kind === 'region' || who.kind === 'municipality' ? [link('/invoices.html', t('nav.invoices'), active === 'invoices')] : []),
    // What a rebuild under changed rules would change (issue #20): the figures' readers, not a ward.
    ...(who.kind !== 'unit' ? [link('/changes.html', t('nav.changes'), active === 'changes')] : []), signedIn, languageSwitch(), logout);
}

export { kommun } from './areas.ts';
