/** Shared by the pages: the signed-in scope, API calls with the session cookie, small DOM helpers. */
export interface Me {
  scope: string;
  kind: 'region' | 'municipality' | 'unit';
}

export async function api<T>(path: string): Promise<T> {
  const r = await fetch(path, { credentials: 'same-origin' });
  if (r.status === 401) {
    location.href = '/login.html';
    throw new Error('inte inloggad');
  }
  if (!r.ok) throw new Error(((await r.json().catch(() => ({}))) as { message?: string }).message ?? `HTTP ${r.status}`);
  return (await r.json()) as T;
}

export const me = () => api<Me>('/api/v1/me');

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function header(active: 'board' | 'analytics' | 'invoices', who: Me): HTMLElement {
  const link = (href: string, text: string, on: boolean) => el('a', { href, class: on ? 'active' : '' }, text);
  const logout = el('button', { type: 'button', id: 'logout' }, 'Logga ut');
  logout.addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST' });
    location.href = '/login.html';
  });
  return el('header', {}, el('strong', {}, 'utklar'), link('/board.html', 'Tavlan', active === 'board'), link('/analytics.html', 'Analys', active === 'analytics'),
    // Invoices are between the region and the liable municipalities: a unit reads none.
    ...(who.kind === 'region' || who.kind === 'municipality' ? [link('/invoices.html', 'Betalningsansvar', active === 'invoices')] : []), el('span', { class: 'who', 'data-scope': who.scope }, `Inloggad: ${who.scope}`), logout);
}

export const MUNICIPALITY_NAMES: Record<string, string> = {
  '1814': 'Lekeberg', '1860': 'Laxå', '1861': 'Hallsberg', '1862': 'Degerfors', '1863': 'Hällefors', '1864': 'Ljusnarsberg',
  '1880': 'Örebro', '1881': 'Kumla', '1882': 'Askersund', '1883': 'Karlskoga', '1884': 'Nora', '1885': 'Lindesberg',
  '1760': 'Storfors', '1781': 'Kristinehamn', '1782': 'Filipstad',
};
export const kommun = (code: string) => (MUNICIPALITY_NAMES[code] ? `${MUNICIPALITY_NAMES[code]} (${code})` : code);
