/**
 * A cell a spreadsheet would run as a formula (OWASP "CSV injection"): Excel, LibreOffice and
 * Sheets evaluate a cell starting with = + - @ (and a leading tab or CR is stripped before they
 * look), so a clinic named `=HYPERLINK(…)` from a source system becomes a live link or command.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain negative number (-3, -0.5, -1e-7) is data, not a formula: left as is so it stays a number. */
const NEGATIVE_NUMBER = /^-\d+(\.\d+)?(e[-+]?\d+)?$/i;

/** The cell as text, with a leading `'` when a spreadsheet would otherwise evaluate it. */
export function neutralisedCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : String(v);
  return FORMULA_START.test(s) && !NEGATIVE_NUMBER.test(s) ? `'${s}` : s;
}

/**
 * RFC 4180 CSV of result rows (arrays joined with ';'); the header is the union of the keys.
 * Every cell, header included, is neutralised first: every CSV the API produces goes through here.
 */
export function toCsv(rows: Record<string, unknown>[], withheld = '<5'): string {
  // A withheld small cell (small-cells.ts) reads as "<5" where a spreadsheet shows it; the list
  // that names them is for JSON readers.
  const shown = rows.map((r) => {
    if (!Array.isArray(r.suppressed)) return r;
    const { suppressed, ...rest } = r;
    for (const f of suppressed as string[]) rest[f] = withheld;
    return rest;
  });
  const columns = [...new Set(shown.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string => {
    const s = neutralisedCell(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(cell).join(','), ...shown.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}
