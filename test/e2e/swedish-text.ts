import type { Page } from 'playwright-core';
import { municipalities } from '../../services/reference/municipalities.ts';

/**
 * Words that only a Swedish page shows (every one appears on some page in Swedish), matched as
 * whole words; with them any å, ä or ö. Data keeps its language: the kommuner's and län's names are
 * taken out first, and what a page marks `translate="no"` (the API's own notes, which name the
 * agreements in Swedish) is skipped.
 */
const SWEDISH_WORDS = [
  'och', 'dag', 'dagar', 'kommun', 'Tavlan', 'Analys', 'Betalningsansvar', 'Logga', 'Nyckel', 'Visa', 'Sök', 'Idag', 'ansluter',
  'somatik', 'psykiatri', 'ingen', 'grön', 'gul', 'röd', 'blå', 'ja', 'nej', 'kallad', 'väntar', 'snitt', 'gränsvärde', 'gränsvärdet',
  'inte', 'över', 'Fryst', 'Preliminärt', 'Belopp', 'Summa', 'Ladda', 'ner', 'rader', 'Underlag', 'Från', 'Till', 'Klinik', 'Län',
  'alla', 'Markering', 'Intervall', 'Betaldagar', 'Vård', 'Vårdtyp', 'Avdelning', 'utskriven', 'inskrivna', 'utskrivna', 'Skäl',
  'fria', 'debiteras', 'villkor', 'pågår', 'Fel', 'Månad', 'Specifikation', 'befolkning', 'invånare', 'hemtjänst',
];
const WORDS = new RegExp(`(?<!\\p{L})(${SWEDISH_WORDS.join('|')})(?!\\p{L})`, 'iu');
// The reference data's kommuner and län (the pages name them all), taken out as whole words, longest first.
const names = [...new Set([...municipalities.values()].flatMap((m) => [m.name, m.county]))].sort((a, b) => b.length - a.length);
const NAMES = new RegExp(`(?<!\\p{L})(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?!\\p{L})`, 'gu');

/** Every text of the page a reader meets (text nodes, the title, labels, placeholders, tooltips) that is still Swedish. */
export async function swedishTexts(page: Page): Promise<string[]> {
  const texts = await page.evaluate(() => {
    const out: string[] = [document.title];
    const skip = (n: Node | null) => n?.parentElement?.closest('[translate="no"], script, style') != null;
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) if (!skip(n) && n.textContent?.trim()) out.push(n.textContent);
    for (const e of document.body.querySelectorAll('[aria-label], [title], [placeholder], [alt]')) {
      if (e.closest('[translate="no"]')) continue;
      for (const a of ['aria-label', 'title', 'placeholder', 'alt']) if (e.getAttribute(a)) out.push(e.getAttribute(a)!);
    }
    return out;
  });
  return texts.filter((text) => {
    const rest = text.replace(NAMES, '');
    return /[åäöÅÄÖ]/.test(rest) || WORDS.test(rest);
  });
}
