/** The filters that pick one group of a grouping: the drill-down's selection. */
export function groupFilter(by: string, g: unknown): Record<string, string> {
  const s = String(g);
  switch (by) {
    case 'municipality': return { kommun: s };
    case 'recipientMunicipality': return { recipient: s };
    case 'ward': { const [hospital = '', ...ward] = s.split('/'); return { hospital, ward: ward.join('/') }; }
    case 'none': return {};
    default: return { [by]: s };
  }
}
export const monthOf = (m: string) => ({ from: m, to: m });
export const yearOf = (y: number) => ({ from: `${y}-01`, to: `${y}-12` });
