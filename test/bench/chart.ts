/** A dependency-free SVG line chart: panels of series over time, for the benchmark's results. */

export interface Series {
  name: string;
  colour: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Vertical lines at x, labelled (phases, moments). */
  markers?: { x: number; label: string }[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step (1, 2 or 5 × 10^k) giving about `ticks` intervals over [0, max]. */
function niceStep(max: number, ticks = 5): number {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => raw <= s) ?? 10 * mag;
}

const compact = (v: number): string =>
  Math.abs(v) >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : Math.abs(v) >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(1)}`;

/** Keeps at most `n` points, evenly spread, always the first and the last: a long run stays a small file. */
export function thin<T>(xs: T[], n = 600): T[] {
  if (xs.length <= n) return xs;
  const step = (xs.length - 1) / (n - 1);
  return Array.from({ length: n }, (_, i) => xs[Math.round(i * step)]!);
}

function panel(p: Panel, x0: number, y0: number, w: number, h: number): string {
  const left = 70;
  const right = 240; // the legend
  const top = 28;
  const bottom = 40;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const all = p.series.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map(([x]) => x), ...(p.markers ?? []).map((m) => m.x));
  const maxY = Math.max(1, ...all.map(([, y]) => y));
  const sx = niceStep(maxX);
  const sy = niceStep(maxY);
  const xMax = Math.ceil(maxX / sx) * sx;
  const yMax = Math.ceil(maxY / sy) * sy;
  const X = (x: number) => x0 + left + (x / xMax) * pw;
  const Y = (y: number) => y0 + top + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + left}" y="${y0 + 18}" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += sy) {
    out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${X(0) - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end">${compact(v)}</text>`);
  }
  for (let v = 0; v <= xMax + 1e-9; v += sx) {
    out.push(`<line x1="${X(v)}" x2="${X(v)}" y1="${Y(0)}" y2="${Y(0) + 4}" stroke="#333"/>`);
    out.push(`<text x="${X(v)}" y="${Y(0) + 17}" font-size="11" text-anchor="middle">${compact(v)}</text>`);
  }
  out.push(`<line x1="${X(0)}" x2="${X(xMax)}" y1="${Y(0)}" y2="${Y(0)}" stroke="#333"/>`);
  out.push(`<line x1="${X(0)}" x2="${X(0)}" y1="${Y(0)}" y2="${Y(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${X(xMax / 2)}" y="${y0 + h - 6}" font-size="12" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(`<text transform="translate(${x0 + 16} ${Y(yMax / 2)}) rotate(-90)" font-size="12" text-anchor="middle">${esc(p.yLabel)}</text>`);
  for (const m of p.markers ?? []) {
    out.push(`<line x1="${X(m.x)}" x2="${X(m.x)}" y1="${Y(0)}" y2="${Y(yMax)}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text transform="translate(${X(m.x) + 3} ${Y(yMax) + 4}) rotate(90)" font-size="10" fill="#666">${esc(m.label)}</text>`);
  }
  p.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''} points="${d}"/>`);
    }
    const ly = y0 + top + 8 + i * 18;
    const lx = x0 + w - right + 12;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Panels stacked vertically under a title block (one line per entry of `subtitle`). */
export function svgChart(title: string, subtitle: string[], panels: Panel[], width = 1000, panelHeight = 340): string {
  const head = 34 + subtitle.length * 16;
  const height = head + panels.length * panelHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="24" font-size="17" font-weight="bold">${esc(title)}</text>`,
    ...subtitle.map((s, i) => `<text x="16" y="${44 + i * 16}" font-size="12" fill="#444">${esc(s)}</text>`),
    ...panels.map((p, i) => panel(p, 0, head + i * panelHeight, width, panelHeight)),
    '</svg>',
    '',
  ].join('\n');
}
