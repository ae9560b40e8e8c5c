import { population2022 } from '../reference/municipalities.ts';

/**
 * A synthetic Region Örebro län: its 12 municipalities weighted by real population, a few
 * eastern-Värmland (Utom län) patients, and its three hospitals with plausible clinics and wards.
 */
export const REGION_CODE = '18';

const ORebro_MUNICIPALITIES = ['1814', '1860', '1861', '1862', '1863', '1864', '1880', '1881', '1882', '1883', '1884', '1885'];
const UTOM_LAN = ['1781', '1782', '1760']; // Kristinehamn, Filipstad, Storfors

const weightOf = (code: string, share = 1) => [code, (population2022.get(code)?.pop65 ?? 0) * share] as const;

export const HOME_MUNICIPALITIES: readonly (readonly [string, number])[] = [
  ...ORebro_MUNICIPALITIES.map((c) => weightOf(c)),
  // Only a slice of eastern Värmland uses Örebro's hospitals (mostly Karlskoga).
  ...UTOM_LAN.map((c) => weightOf(c, 0.12)),
];

export interface Hospital {
  code: string;
  name: string;
}
export const HOSPITALS = {
  uso: { code: 'USO', name: 'Universitetssjukhuset Örebro' },
  karlskoga: { code: 'KLS', name: 'Karlskoga lasarett' },
  lindesberg: { code: 'LBL', name: 'Lindesbergs lasarett' },
} satisfies Record<string, Hospital>;

const NEAR_KARLSKOGA = new Set(['1883', '1862', ...UTOM_LAN]);
const NEAR_LINDESBERG = new Set(['1885', '1884', '1863', '1864']);

export function hospitalWeights(home: string): readonly (readonly [Hospital, number])[] {
  if (NEAR_KARLSKOGA.has(home)) return [[HOSPITALS.karlskoga, 0.65], [HOSPITALS.uso, 0.35]];
  if (NEAR_LINDESBERG.has(home)) return [[HOSPITALS.lindesberg, 0.6], [HOSPITALS.uso, 0.4]];
  return [[HOSPITALS.uso, 0.9], [HOSPITALS.karlskoga, 0.05], [HOSPITALS.lindesberg, 0.05]];
}

export interface Clinic {
  clinic: string;
  businessArea: string;
  wards: string[];
  psychiatric: boolean;
}

export const CLINICS: readonly Clinic[] = [
  { clinic: 'Medicinkliniken', businessArea: 'Medicin', wards: ['Med 1', 'Med 2', 'Med 3', 'Med 4'], psychiatric: false },
  { clinic: 'Geriatriska kliniken', businessArea: 'Geriatrik', wards: ['Geri 1', 'Geri 2'], psychiatric: false },
  { clinic: 'Ortopedkliniken', businessArea: 'Ortopedi', wards: ['Ort 1', 'Ort 2'], psychiatric: false },
  { clinic: 'Kirurgiska kliniken', businessArea: 'Kirurgi', wards: ['Kir 1', 'Kir 2'], psychiatric: false },
  { clinic: 'Psykiatriska kliniken', businessArea: 'Psykiatri', wards: ['Psyk avd 1', 'Psyk avd 2'], psychiatric: true },
];

export const PRIMARY_CARE = ['VC Tybble', 'VC Varberga', 'VC Kumla', 'VC Karlskoga', 'VC Lindesberg', 'VC Hallsberg', 'VC Nora'];
