import { readFileSync } from 'node:fs';

/** SCB's municipality and county coding (copied from the product's shared reference data). */
export interface Municipality {
  code: string;
  name: string;
  countyCode: string;
  county: string;
}

function parseCsv(file: string): string[][] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map((c) => c.trim()));
}

export const municipalities: ReadonlyMap<string, Municipality> = new Map(
  parseCsv('./kommuner.csv').map(([code, name, countyCode, county]) => [
    code!,
    { code: code!, name: name!, countyCode: countyCode!, county: county! },
  ]),
);

export const countyCodes: ReadonlySet<string> = new Set([...municipalities.values()].map((m) => m.countyCode));

/** Population on 31 Dec 2022 (SCB via Kolada): the denominator for 2023 indicators. */
export const population2022: ReadonlyMap<string, { pop65: number; total: number }> = new Map(
  parseCsv('./population-2022-12-31.csv').map(([code, , , pop65, total]) => [
    code!,
    { pop65: Number(pop65), total: Number(total) },
  ]),
);
