import { number, t } from './i18n.ts';

/**
 * Small SVG charts, no library: every mark carries data-label and data-value (what the tests and
 * screen readers read) and calls `onPick` when clicked (drill-down to the rows behind it).
 */
const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 260;
const PAD = { l: 48, r: 16, t: 16, b: 48 };
const PALETTE = ['#1f6feb', '#d2691e', '#2e8b57', '#c71585', '#6a5acd', '#b8860b', '#008b8b'];

function svg(tag: string, attrs: Record<string, string | number>, ...children: Node[]): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...children);
  return e;
}
/**
 * A mark one can pick with the mouse and the keyboard: in the tab order, a button named by its
 * tooltip, Enter or Space as a click. The chart is then a group of buttons, not a picture.
 */
function pickable(mark: SVGElement, name: string, onPick: (() => void) | undefined, root: SVGElement): void {
  mark.append(svg('title', {}, document.createTextNode(name)));
  if (!onPick) return;
  root.setAttribute('role', 'group');
  mark.setAttribute('tabindex', '0');
  mark.setAttribute('role', 'button');
  mark.setAttribute('aria-label', name);
  mark.addEventListener('click', onPick);
  mark.addEventListener('keydown', (ev) => {
    const key = (ev as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') {
      ev.preventDefault();
      onPick();
    }
  });
}
const text = (x: number, y: number, s: string, attrs: Record<string, string | number> = {}) => {
  const t = svg('text', { x, y, 'font-size': 11, ...attrs });
  t.textContent = s;
  return t;
};
// The page's language's number format (decimal comma in Swedish), at most two decimals.
const fmt = (v: number) => number(v, 0, 2);
const percent = (part: number, total: number) => t('common.percent', { value: fmt((part / total) * 100) });

function frame(title: string, yMax: number): { root: SVGElement; y: (v: number) => number } {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart' });
  const y = (v: number) => H - PAD.b - (v / (yMax || 1)) * (H - PAD.t - PAD.b);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    root.append(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y(v), y2: y(v), stroke: '#ddd' }), text(4, y(v) + 4, fmt(v)));
  }
  return { root, y };
}

export interface Series { name: string; points: { label: string; value: number | null }[] }

export function lineChart(title: string, series: Series[], onPick?: (label: string, series: string) => void): SVGElement {
  const labels = [...new Set(series.flatMap((s) => s.points.map((p) => p.label)))];
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.value ?? 0))) * 1.1;
  const { root, y } = frame(title, max);
  const x = (i: number) => PAD.l + (labels.length <= 1 ? 0 : (i / (labels.length - 1)) * (W - PAD.l - PAD.r));
  labels.forEach((l, i) => root.append(text(x(i) - 14, H - PAD.b + 16, l)));
  series.forEach((s, si) => {
    const colour = PALETTE[si % PALETTE.length]!;
    const pts = s.points.map((p) => ({ i: labels.indexOf(p.label), ...p })).filter((p) => p.value !== null);
    root.append(svg('polyline', { points: pts.map((p) => `${x(p.i)},${y(p.value!)}`).join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    for (const p of pts) {
      const dot = svg('circle', { cx: x(p.i), cy: y(p.value!), r: 4, fill: colour, class: 'mark', 'data-series': s.name, 'data-label': p.label, 'data-value': p.value! });
      pickable(dot, `${s.name} ${p.label}: ${fmt(p.value!)}`, onPick && (() => onPick(p.label, s.name)), root);
      root.append(dot);
    }
    root.append(text(PAD.l + si * 120, H - 8, `● ${s.name}`, { fill: colour }));
  });
  return root;
}

export function barChart(title: string, bars: { label: string; value: number; name?: string }[], lines: { name: string; value: number }[], onPick?: (label: string, series: string) => void, groups?: string[]): SVGElement {
  const names = groups ?? [...new Set(bars.map((b) => b.name ?? ''))];
  const labels = [...new Set(bars.map((b) => b.label))];
  const max = Math.max(1, ...bars.map((b) => b.value), ...lines.map((l) => l.value)) * 1.1;
  const { root, y } = frame(title, max);
  const slot = (W - PAD.l - PAD.r) / Math.max(1, labels.length);
  const bw = (slot * 0.8) / Math.max(1, names.length);
  labels.forEach((l, i) => {
    root.append(text(PAD.l + i * slot + 2, H - PAD.b + 14, l.length > 10 ? `${l.slice(0, 9)}…` : l, { transform: `rotate(30 ${PAD.l + i * slot + 2} ${H - PAD.b + 14})` }));
    names.forEach((n, ni) => {
      const b = bars.find((x) => x.label === l && (x.name ?? '') === n);
      if (!b) return;
      const rect = svg('rect', { x: PAD.l + i * slot + ni * bw + slot * 0.1, y: y(b.value), width: bw - 2, height: H - PAD.b - y(b.value), fill: PALETTE[ni % PALETTE.length]!, class: 'mark', 'data-label': l, 'data-series': n, 'data-value': b.value });
      pickable(rect, `${l}${n ? ` ${n}` : ''}: ${fmt(b.value)}`, onPick && (() => onPick(l, n)), root);
      root.append(rect);
    });
  });
  lines.forEach((ln, li) => {
    root.append(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: y(ln.value), y2: y(ln.value), stroke: '#333', 'stroke-dasharray': '4 3', class: 'ref', 'data-label': ln.name, 'data-value': ln.value }));
    root.append(text(W - PAD.r - 150, y(ln.value) - 3 - li * 0, `${ln.name} ${fmt(ln.value)}`));
  });
  // The legend shares the width: seven delay bands fit as well as two series.
  const step = Math.min(140, (W - PAD.l) / Math.max(1, names.length));
  if (names.length > 1 || names[0]) names.forEach((n, ni) => root.append(text(PAD.l + ni * step, H - 4, `■ ${n}`, { fill: PALETTE[ni % PALETTE.length]! })));
  return root;
}

/**
 * Bars lying down, one row each, the label in full on the left: for many long names (the 21 län,
 * a län's kommuner), which a standing bar's axis would cut short. `lines`: reference values
 * (min, max, std-dev) as dashed verticals.
 */
export function horizontalBarChart(title: string, bars: { label: string; value: number }[], lines: { name: string; value: number }[], onPick?: (label: string) => void): SVGElement {
  // Room for the longest label (≈ 6 px a character at 11 px), within reason: "väntar på särskilt boende (kommun)" is not cut.
  const [row, left, top] = [20, Math.min(320, Math.max(190, 12 + 6 * Math.max(0, ...bars.map((b) => b.label.length)))), 8];
  const height = top + bars.length * row + 40;
  const root = svg('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title, class: 'chart' });
  const max = Math.max(1, ...bars.map((b) => b.value), ...lines.map((l) => l.value)) * 1.1;
  const x = (v: number) => left + (v / max) * (W - left - PAD.r);
  const bottom = top + bars.length * row;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    root.append(svg('line', { x1: x(v), x2: x(v), y1: top, y2: bottom, stroke: '#ddd' }), text(x(v) - 8, bottom + 14, fmt(v)));
  }
  bars.forEach((b, i) => {
    const y = top + i * row;
    root.append(text(left - 6, y + row * 0.65, b.label, { 'text-anchor': 'end' }));
    const rect = svg('rect', { x: left, y: y + 3, width: Math.max(0, x(b.value) - left), height: row - 6, fill: PALETTE[0]!, class: 'mark', 'data-label': b.label, 'data-value': b.value });
    pickable(rect, `${b.label}: ${fmt(b.value)}`, onPick && (() => onPick(b.label)), root);
    root.append(rect);
  });
  lines.forEach((ln, li) => {
    root.append(svg('line', { x1: x(ln.value), x2: x(ln.value), y1: top, y2: bottom, stroke: '#333', 'stroke-dasharray': '4 3', class: 'ref', 'data-label': ln.name, 'data-value': ln.value }));
    root.append(text(PAD.l + li * 150, height - 6, `┆ ${ln.name} ${fmt(ln.value)}`));
  });
  return root;
}

export function pieChart(title: string, slices: { label: string; value: number; colour?: string }[], onPick?: (label: string) => void): SVGElement {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, class: 'chart' });
  const total = slices.reduce((s, x) => s + x.value, 0) || 1;
  let angle = -Math.PI / 2;
  const [cx, cy, r] = [H / 2, H / 2, H / 2 - 16];
  slices.forEach((s, i) => {
    const a2 = angle + (s.value / total) * 2 * Math.PI;
    const large = a2 - angle > Math.PI ? 1 : 0;
    const d = s.value === total ? `M ${cx - r} ${cy} a ${r} ${r} 0 1 0 ${2 * r} 0 a ${r} ${r} 0 1 0 ${-2 * r} 0`
      : `M ${cx} ${cy} L ${cx + r * Math.cos(angle)} ${cy + r * Math.sin(angle)} A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(a2)} ${cy + r * Math.sin(a2)} Z`;
    const colour = s.colour ?? PALETTE[i % PALETTE.length]!;
    const path = svg('path', { d, fill: colour, stroke: '#fff', class: 'mark', 'data-label': s.label, 'data-value': s.value });
    pickable(path, `${s.label}: ${fmt(s.value)} (${percent(s.value, total)})`, onPick && (() => onPick(s.label)), root);
    root.append(path, text(H + 20, 30 + i * 18, `■ ${s.label}: ${fmt(s.value)} (${percent(s.value, total)})`, { fill: colour, 'font-size': 13 }));
    angle = a2;
  });
  return root;
}

/** `caption`, drawn in the chart's top right corner (and read with its title), says what it rests on: "population 31 Dec 2025, latest available". */
export function bubbleChart(title: string, points: { label: string; x: number; y: number; size: number }[], xTitle: string, yTitle: string, onPick?: (label: string) => void, caption?: string): SVGElement {
  const maxY = Math.max(1, ...points.map((p) => p.y)) * 1.15;
  const maxX = Math.max(1, ...points.map((p) => p.x)) * 1.15;
  const maxS = Math.max(1, ...points.map((p) => p.size));
  const { root, y } = frame(caption ? `${title} (${caption})` : title, maxY);
  const x = (v: number) => PAD.l + (v / maxX) * (W - PAD.l - PAD.r);
  root.append(text(W / 2 - 60, H - 8, xTitle), text(PAD.l + 4, PAD.t + 4, yTitle));
  if (caption) root.append(text(W - PAD.r, PAD.t + 4, caption, { 'text-anchor': 'end', class: 'caption' }));
  points.forEach((p, i) => {
    const c = svg('circle', { cx: x(p.x), cy: y(p.y), r: 4 + 14 * Math.sqrt(p.size / maxS), fill: PALETTE[i % PALETTE.length]!, 'fill-opacity': 0.6, class: 'mark', 'data-label': p.label, 'data-value': `${p.x};${p.y}` });
    pickable(c, `${p.label}: ${fmt(p.x)} / ${fmt(p.y)}`, onPick && (() => onPick(p.label)), root);
    root.append(c, text(x(p.x) + 8, y(p.y) - 8, p.label));
  });
  return root;
}
