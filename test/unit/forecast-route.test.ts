import { describe, expect, it } from 'vitest';
import type { ClickHouseClient } from '@clickhouse/client';
import { mintToken } from '../../services/api/auth.ts';
import { answer, type ApiDeps } from '../../services/api/routes.ts';
import { LAW_DEFAULTS } from '../../services/clock/rules.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import type { StoredEpisode } from '../../services/clock/stored-episode.ts';
import { fromEpochDay, isoDate, stockholmDay, stockholmMidnight } from '../../services/core/stockholm-time.ts';
import type { Scope } from '../../services/model/scope.ts';
import type { OpenIndex } from '../../services/store/clock-reads.ts';
import { eventBuilder } from './support/episode-events.ts';

/**
 * GET /api/v1/forecast in virtual time: the clock is injected, history (ClickHouse) and the open
 * episodes (Redis) are fakes holding a seeded set whose outcome is certain, on dates where the
 * calendar is awkward: Stockholm already in the new year while UTC is not, a DST switch day.
 */
const SECRET = 'forecast-unit-test-secret-0123456789abcdef';
const H = 3_600_000;
const iso = (d: number) => isoDate(fromEpochDay(d));

function fixture(now: number) {
  const today = stockholmDay(now);
  // History: 40 stays of Medicinkliniken, each ready the day after its estimate, 11 days after admission
  // (longer than the horizon, so no stay begun after today can be ready within it).
  const facts = Array.from({ length: 40 }, (_, i) => {
    const admitted = today - 80 + i;
    return {
      episode_id: `H-${i}`, status: 'DISCHARGED', region: '18', hospital: 'USO', ward: 'Med 1', clinic: 'Medicinkliniken', business_area: 'Medicin', care_type: 'SOMATIC',
      age_group: '85+', home_municipality: '1880', primary_care_unit: '', recipient_municipality: '1880', admitted_day: admitted, discharged_day: admitted + 13, ready_start_days: [admitted + 11],
    };
  });
  const notices = facts.map((f) => ({ episode_id: f.episode_id, occurred_at_ms: String(stockholmMidnight(f.admitted_day) + 11 * H), payload: JSON.stringify({ recipientMunicipality: '1880', estimatedDischargeDate: f.admitted_day + 10 }) }));
  const client = {
    query: async ({ query }: { query: string }) => ({ json: async () => (query.includes("event_type = 'admission-notice'") ? notices : facts) }),
  } as unknown as ClickHouseClient;

  // Open now: three Örebro residents expected the day after their estimate (today + 2 → ready today + 3),
  // two from Kumla (today + 4 → today + 5), and one already ready, which is not forecast again.
  const open: StoredEpisode[] = [];
  const admittedAt = stockholmMidnight(today - 2) + 10 * H;
  const add = (id: string, home: string, estimate: number | null, ready = false) => {
    const ev = eventBuilder(id, id, `P-${id}`);
    const events = [
      ev('admission', admittedAt, { homeMunicipality: home, ageYears: 88 }),
      ev('admission-notice', admittedAt + H, { recipientMunicipality: home, estimatedDischargeDate: estimate }),
      ...(ready ? [ev('ready-for-discharge', admittedAt + 5 * H, { recipientMunicipality: home })] : []),
    ];
    open.push({ state: foldEpisode(events), readmission: null });
  };
  for (const i of [1, 2, 3]) add(`O-1880-${i}`, '1880', today + 2);
  for (const i of [1, 2]) add(`O-1881-${i}`, '1881', today + 4);
  add('O-1880-ready', '1880', today + 1, true);
  const clocks = {
    openEpisodes: async (ix: OpenIndex) => open.filter(({ state: s }) => ('region' in ix ? s.admission?.region === ix.region : 'municipality' in ix ? s.admission?.homeMunicipality === ix.municipality : s.admission?.ward === ix.ward[1])),
    regionsWithOpen: async () => ['18'],
  };
  const deps: ApiDeps = { client, db: 'x', rules: LAW_DEFAULTS as never, population: {} as never, secret: SECRET, now: () => now, clocks };
  const ask = async (scope: Scope, params: Record<string, string> = {}) => {
    const r = await answer(deps, 'forecast', new URLSearchParams(params), `Bearer ${mintToken(scope, SECRET, { subject: 't', ttlSeconds: 3600, now })}`);
    return { status: r.status, body: JSON.parse(r.body) as { period: { from: string; to: string }; rows: Record<string, unknown>[]; error?: string } };
  };
  return { today, ask, deps };
}

const shown = (rows: Record<string, unknown>[]) => rows.filter((r) => r.expected !== 0).map((r) => `${String(r.municipality)} ${String(r.day)}: ${String(r.expected)} [${String(r.band90Low)}–${String(r.band90High)}]`);

const NOWS: [string, number][] = [
  ['Stockholm already in the new year, UTC not', Date.parse('2026-12-31T23:20:00Z')],
  ['the spring DST switch (a 23-hour day)', Date.parse('2027-03-28T10:00:00Z')],
  ['the autumn DST switch (a 25-hour day)', Date.parse('2027-10-31T11:00:00Z')],
  ['the last hour of a month', Date.parse('2027-04-30T21:30:00Z')],
  ['today', Date.now()],
];

describe.each(NOWS)('GET /api/v1/forecast on %s', (_, now) => {
  it('a region: per recipient municipality and day from tomorrow, the seeded stays on the day after their estimate', async () => {
    const { today, ask } = fixture(now);
    const { status, body } = await ask({ kind: 'region', region: '18' });
    expect(status).toBe(200);
    expect(body.period).toEqual({ from: iso(today + 1), to: iso(today + 7) });
    expect(body.rows.map((r) => `${String(r.municipality)} ${String(r.day)}`)).toEqual(['1880', '1881'].flatMap((m) => [1, 2, 3, 4, 5, 6, 7].map((k) => `${m} ${iso(today + k)}`)));
    expect(shown(body.rows)).toEqual([`1880 ${iso(today + 3)}: 3 [3–3]`, `1881 ${iso(today + 5)}: 2 [2–2]`]);
    expect(body.rows.find((r) => r.municipality === '1880')).toMatchObject({ municipalityName: 'Örebro', openEpisodes: 3, fromNew: 0 });
  });

  it('a municipality sees only the stays whose notice goes to it; naming another is refused', async () => {
    const { today, ask } = fixture(now);
    const own = await ask({ kind: 'municipality', municipality: '1881' }, { days: '5' });
    expect(own.status).toBe(200);
    expect([...new Set(own.body.rows.map((r) => r.municipality))]).toEqual(['1881']);
    expect(shown(own.body.rows)).toEqual([`1881 ${iso(today + 5)}: 2 [2–2]`]);
    expect((await ask({ kind: 'municipality', municipality: '1881' }, { kommun: '1880' })).status).toBe(403);
    // A region narrows to one municipality with kommun.
    expect(shown((await ask({ kind: 'region', region: '18' }, { kommun: '1880' })).body.rows)).toEqual([`1880 ${iso(today + 3)}: 3 [3–3]`]);
  });

  it('days bounds the horizon; filters a stay cannot have before its notice are refused, not ignored', async () => {
    const { ask } = fixture(now);
    const region: Scope = { kind: 'region', region: '18' };
    expect((await ask(region, { days: '2' })).body.rows).toHaveLength(4);
    const refused: Record<string, string>[] = [{ days: '0' }, { days: '15' }, { days: 'x' }, { trackColour: 'RED' }, { status: 'discharged' }, { dischargedWithinDays: '3' }];
    for (const params of refused) {
      expect((await ask(region, params)).status, JSON.stringify(params)).toBe(400);
    }
    expect((await ask(region, { careType: 'PSYCHIATRIC' })).body.rows.every((r) => r.expected === 0)).toBe(true);
  });
});

describe('GET /api/v1/forecast without the clocks', () => {
  it('answers 503: the open episodes live in Redis', async () => {
    const { deps } = fixture(Date.now());
    const r = await answer({ ...deps, clocks: undefined }, 'forecast', new URLSearchParams(), `Bearer ${mintToken({ kind: 'region', region: '18' }, SECRET, { subject: 't', ttlSeconds: 3600 })}`);
    expect(r.status).toBe(503);
  });
});
