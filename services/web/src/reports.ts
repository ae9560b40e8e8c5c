import { el, header, loadAreas, signedInFor } from './common.ts';
import type { Areas } from './areas.ts';
import { t, translatePage, type MessageKey } from './i18n.ts';
import { REPORTS, type Report, form, url, report, pageUrl } from './reports/url.ts';
import { buildFilters } from './reports/listboxes.ts';
import { oversikt } from './reports/oversikt.ts';
import { analys } from './reports/analys.ts';
import { bubblor } from './reports/bubblor.ts';
import { inneliggande } from './reports/inneliggande.ts';
import { sparfarg } from './reports/sparfarg.ts';
import { aterinlaggningar } from './reports/aterinlaggningar.ts';
import { vantetider } from './reports/vantetider.ts';
import { orsaker } from './reports/orsaker.ts';

/**
 * Every seed report as a page of its own (`reports.html?report=…`): Region Örebro's portal (seed
 * 002) and Väntetider.se (seed 000), with the portal's listboxes. The report, every filter and
 * the readmissions' share/count choice are kept in the URL, so a view can be shared. Each chart
 * has its table behind it (the text alternative, and the keyboard's way to the rows), its CSV,
 * and a drill-down that lists exactly the episodes the element counts (`rows?counted=`), paged.
 */
const REPORT_TITLE: Record<Report, MessageKey> = {
  oversikt: 'reports.oversikt', analys: 'reports.analys', bubblor: 'reports.bubblor', inneliggande: 'reports.inneliggande',
  sparfarg: 'reports.sparfarg', aterinlaggningar: 'reports.aterinlaggningar', vantetider: 'reports.vantetider', orsaker: 'reports.orsaker',
};

function nav(): void {
  const current = report();
  document.querySelector('#report-nav')!.replaceChildren(el('ul', { class: 'report-nav' }, ...REPORTS.map((r) => el('li', {},
    el('a', { href: pageUrl({ report: r, measure: r === 'aterinlaggningar' ? url.get('measure') ?? '' : '' }), 'data-report': r, ...(r === current ? { 'aria-current': 'page', class: 'active' } : {}) }, t(REPORT_TITLE[r]))))));
}

async function render(areas: Areas, scope: string): Promise<void> {
  const box = document.querySelector('#report')!;
  box.replaceChildren(el('p', {}, t('common.loading')));
  document.querySelector<HTMLElement>('#drill')!.hidden = true;
  const r = report();
  document.title = `utklar – ${t(REPORT_TITLE[r])}`;
  const parts = await ({ oversikt, analys, bubblor, inneliggande, sparfarg, aterinlaggningar, orsaker, vantetider: () => vantetider(areas, scope) } as Record<Report, () => Promise<HTMLElement[]>>)[r]();
  box.replaceChildren(el('h1', { id: 'report-title' }, t(REPORT_TITLE[r])), ...parts);
  box.setAttribute('data-loaded', r);
}

async function main(): Promise<void> {
  translatePage();
  const who = await signedInFor(['audit']);
  if (!who) return;
  const areas = await loadAreas();
  document.body.prepend(header('reports', who));
  await buildFilters(areas, who.scope);
  nav();
  form().addEventListener('submit', (ev) => {
    ev.preventDefault();
    // The view is the URL: submitting writes the filters there (a shared link opens the same).
    location.href = pageUrl();
  });
  await render(areas, who.scope);
}

void main().catch((e) => (document.querySelector('#report')!.textContent = t('common.error', { message: (e as Error).message })));
