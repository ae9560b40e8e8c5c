import { describe, expect, it } from 'vitest';
import { parseAlertConfig } from '../../services/alerting/rules.ts';
import { evaluate, type Observations, type OpenEpisode } from '../../services/alerting/evaluate.ts';
import { route, targets } from '../../services/alerting/routing.ts';

const episode = (over: Partial<OpenEpisode> = {}): OpenEpisode => ({
  episodeId: 'E1', status: 'READY', hospital: 'USO', ward: 'Med 1', clinic: 'Medicinkliniken', homeMunicipality: '1880', recipientMunicipality: '1880', careType: 'SOMATIC', ageGroup: '85+',
  readySince: 0, readyStartDays: [100], readyEndDays: [-1], paymentDays: 0, openPaymentFromDay: 101, trackColour: 'RED', fastVardkontakt: true, sip: 'not-applicable',
  delayReasons: [], readmission: false, readmissionOf: null, problems: [], region: '18', ...over,
});

const NOW = 1_800_000_000_000;
const observed = (over: Partial<Observations> = {}): Observations => ({
  today: 107, episodes: [], closed: [], averages: [], wardBeds: {}, lag: {}, stale: {}, deadLetters: { count: 0, samples: [] },
  heartbeats: {}, watchingSince: NOW - 1_000, now: NOW, paymentThreshold: 3, ...over,
});
const rulesOf = (text: string) => parseAlertConfig(text, 'alerts.conf').rules;
const fired = (text: string, o: Partial<Observations>) => evaluate(rulesOf(text), observed(o));

describe('alert config file', () => {
  it('reads one rule per line with its settings, and receivers', () => {
    const { rules, receivers } = parseAlertConfig([
      '# escalations',
      'long-wait utklar-days days=7 careType=SOMATIC severity=critical route=unit for=10m',
      '',
      'sip sip-not-called webhook=http://127.0.0.1:9/hook',
      'lag consumer-lag consumer=clock max=500 for=30s',
      'fresh freshness consumer=clock max=2m',
      'dlq dead-letter-growth within=10m',
      'silent service-silent service=timers',
      'avg municipality-average above=2.5 careType=SOMATIC',
      'beds ward-bed-share above=15',
      'quality discharge-without-ready-notice withinDays=3',
      'receiver orebro webhook=https://kommun.example/hook municipality=1880 severity=critical',
    ].join('\n'), 'alerts.conf');
    expect(rules[0]).toEqual({ id: 'long-wait', kind: 'utklar-days', days: 7, careType: 'SOMATIC', track: null, severity: 'critical', route: 'unit', webhook: null, forMs: 600_000, above: null, subject: null, max: 0, withinMs: 0 });
    expect(rules[1]).toMatchObject({ id: 'sip', kind: 'sip-not-called', severity: 'warning', route: 'municipality', webhook: 'http://127.0.0.1:9/hook', forMs: 0 });
    expect(rules[2]).toMatchObject({ kind: 'consumer-lag', subject: 'clock', max: 500, forMs: 30_000 });
    expect(rules[3]).toMatchObject({ kind: 'freshness', subject: 'clock', max: 120_000 });
    expect(rules[4]).toMatchObject({ kind: 'dead-letter-growth', max: 1, withinMs: 600_000 });
    expect(rules[5]).toMatchObject({ kind: 'service-silent', subject: 'timers', max: 30_000 });
    expect(rules[6]).toMatchObject({ kind: 'municipality-average', above: 2.5, careType: 'SOMATIC' });
    expect(rules[7]).toMatchObject({ kind: 'ward-bed-share', above: 15 });
    expect(rules[8]).toMatchObject({ kind: 'discharge-without-ready-notice', days: 3 });
    expect(receivers).toEqual([{ name: 'orebro', webhook: 'https://kommun.example/hook', match: { municipality: '1880', severity: 'critical' } }]);
  });

  it('names the bad line', () => {
    const bad = (text: string) => () => parseAlertConfig(text, 'x.conf');
    expect(bad('a utklar-days days=7\nb utklar-weeks\n')).toThrow("x.conf:2: unknown kind 'utklar-weeks'");
    expect(bad('a utklar-days\n')).toThrow('x.conf:1: utklar-days needs days=N');
    expect(bad('a sip-not-called days=3\n')).toThrow("x.conf:1: 'days' is not a setting of sip-not-called");
    expect(bad('a payment-started\na payment-started\n')).toThrow("x.conf:2: rule id 'a' is used twice");
    expect(bad('a consumer-lag consumer=kafka\n')).toThrow('x.conf:1: consumer-lag needs consumer=<clock>');
    expect(bad('a freshness consumer=sink-clickhouse max=1m\n')).toThrow('x.conf:1: sink-clickhouse is retired: the clock\'s one consumer group writes the ClickHouse rows');
    expect(bad('a service-silent service=sink-facts\n')).toThrow('x.conf:1: sink-facts is retired: the clock writes the episode facts itself; use consumer=clock');
    expect(bad('a freshness consumer=clock max=soon\n')).toThrow("x.conf:1: max 'soon' is not a duration");
    expect(bad('a ward-bed-share\n')).toThrow('x.conf:1: ward-bed-share needs above=<percent>');
    expect(bad('\n\nreceiver kommun municipality=1880\n')).toThrow("x.conf:3: receiver 'kommun' needs webhook=<url>");
    expect(bad('receiver k webhook=ftp://x\n')).toThrow('x.conf:1: webhook must be an http(s) URL');
    expect(bad('receiver k webhook=http://x patient=1\n')).toThrow("x.conf:1: 'patient' is not a setting of a receiver");
    expect(bad('a service-silent service=clock for=1d\n')).toThrow("x.conf:1: for '1d' is not a duration");
  });
});

describe('evaluation', () => {
  const rules = rulesOf('week utklar-days days=7\nred utklar-days days=2 track=RED route=unit\nsip sip-not-called\npay payment-started\n');

  it('fires what holds today, with a stable fingerprint and routing labels, and no personal data', () => {
    const day6 = evaluate(rules, observed({ today: 106, episodes: [episode()] }));
    expect(day6.map((a) => a.rule).sort()).toEqual(['pay', 'red']);
    const day7 = evaluate(rules, observed({ today: 107, episodes: [episode()] }));
    expect(day7.map((a) => a.rule).sort()).toEqual(['pay', 'red', 'week']);
    expect(day7.find((a) => a.rule === 'red')!.fingerprint).toBe(day6.find((a) => a.rule === 'red')!.fingerprint);
    expect(day7.find((a) => a.rule === 'red')!.labels).toEqual({ alertname: 'red', kind: 'utklar-days', severity: 'warning', episodeId: 'E1', hospital: 'USO', ward: 'Med 1' });
    expect(day7.find((a) => a.rule === 'week')!.labels.municipality).toBe('1880');
    expect(evaluate(rules, observed({ today: 101, episodes: [episode({ sip: 'unmet', trackColour: 'GREEN', openPaymentFromDay: 200 })] })).map((a) => a.rule)).toEqual(['sip']);
  });

  it('data quality: a discharge to municipal care without a ready notice, within the look-back', () => {
    const closed = [{ episodeId: 'E9', region: '18', hospital: 'USO', ward: 'Med 1', homeMunicipality: '1880', careType: 'SOMATIC', dischargedDay: 100, problems: ['discharge-to-municipal-care-without-ready-notice'] }];
    const text = 'q discharge-without-ready-notice withinDays=7 route=unit';
    expect(fired(text, { today: 107, closed }).map((a) => a.labels)).toEqual([{ alertname: 'q', kind: 'discharge-without-ready-notice', severity: 'warning', episodeId: 'E9', hospital: 'USO', ward: 'Med 1' }]);
    expect(fired(text, { today: 108, closed })).toEqual([]);
    expect(fired(text, { today: 107, closed: [{ ...closed[0]!, problems: [] }] })).toEqual([]);
  });

  it('municipality month-to-date average above its bound, per month', () => {
    const averages = [
      { region: '18', municipality: '1880', careType: 'SOMATIC', month: '2026-11', episodes: 10, average: 3.2 },
      { region: '18', municipality: '1881', careType: 'SOMATIC', month: '2026-11', episodes: 4, average: 2.6 },
    ];
    expect(fired('over municipality-average', { averages }).map((a) => a.labels.municipality)).toEqual(['1880']);
    const near = fired('near municipality-average above=2.5', { averages });
    expect(near.map((a) => a.labels.municipality)).toEqual(['1880', '1881']);
    expect(near[0]!.annotations.summary).toBe('medel 3,2 betalningsdagar per patient hittills i 2026-11 (gräns 2,5, 10 utskrivna)');
    const december = fired('near municipality-average above=2.5', { averages: averages.map((a) => ({ ...a, month: '2026-12' })) });
    expect(december[0]!.fingerprint).not.toBe(near[0]!.fingerprint);
  });

  it('ward beds: the share of a ward\'s beds held by utklar patients', () => {
    const episodes = [episode({ episodeId: 'A' }), episode({ episodeId: 'B' }), episode({ episodeId: 'C', ward: 'Med 2' })];
    const a = fired('beds ward-bed-share above=10', { episodes, wardBeds: { 'USO/Med 1': 12, 'USO/Med 2': 20 } });
    expect(a.map((x) => [x.labels.ward, x.annotations.summary])).toEqual([['Med 1', '2 av 12 vårdplatser (17 %) har utskrivningsklara patienter (gräns 10 %)']]);
    expect(fired('beds ward-bed-share above=10', { episodes, wardBeds: {} })).toEqual([]);
  });

  it('pipeline health: lag, stale messages, dead-letter growth, silent services', () => {
    expect(fired('l consumer-lag consumer=clock max=100', { lag: { clock: 101 } })).toHaveLength(1);
    expect(fired('l consumer-lag consumer=clock max=100', { lag: { clock: 100 } })).toHaveLength(0);
    expect(fired('f freshness consumer=clock max=30s', { stale: { 'clock|30000': true } })).toHaveLength(1);
    expect(fired('f freshness consumer=clock max=30s', { stale: { 'clock|30000': false } })).toHaveLength(0);
    const samples: [number, number][] = [[NOW - 400_000, 5], [NOW - 290_000, 7], [NOW - 5_000, 9]];
    expect(fired('d dead-letter-growth min=3 within=5m', { deadLetters: { count: 10, samples } })).toHaveLength(1);
    expect(fired('d dead-letter-growth min=6 within=5m', { deadLetters: { count: 10, samples } })).toHaveLength(0);
    expect(fired('d dead-letter-growth', { deadLetters: { count: 10, samples: [] } })).toHaveLength(0);
    expect(fired('s service-silent service=clock max=10s', { heartbeats: { clock: NOW - 11_000 } })).toHaveLength(1);
    expect(fired('s service-silent service=clock max=10s', { heartbeats: { clock: NOW - 9_000 } })).toHaveLength(0);
    expect(fired('s service-silent service=clock max=10s', { heartbeats: {}, watchingSince: NOW - 20_000 })).toHaveLength(1);
  });
});

describe('routing', () => {
  const { rules, receivers } = parseAlertConfig([
    'wait utklar-days days=1 route=municipality',
    'ward-wait utklar-days days=1 route=unit webhook=http://ward.example/hook',
    'receiver orebro webhook=http://orebro.example/hook municipality=1880',
    'receiver critical webhook=http://oncall.example/hook severity=critical',
  ].join('\n'), 'r');
  const alerts = evaluate(rules, observed({ episodes: [episode({ homeMunicipality: '1880' }), episode({ episodeId: 'E2', homeMunicipality: '1814' })] }));

  it('sends an alert to every receiver whose labels match, the rule\'s own webhook, else the default; always the topic', () => {
    const to = (rule: string, ep: string) => route(alerts.find((a) => a.rule === rule && a.labels.episodeId === ep)!, receivers, true);
    expect(to('wait', 'E1')).toEqual(['topic', 'orebro']);
    expect(to('wait', 'E2')).toEqual(['topic', 'default']);
    expect(to('ward-wait', 'E1')).toEqual(['topic', 'rule-ward-wait']);
    expect(route(alerts.find((a) => a.labels.episodeId === 'E2')!, receivers, false)).toEqual(['topic']);
    expect([...targets(receivers, rules, 'http://default.example/hook').keys()]).toEqual(['topic', 'orebro', 'critical', 'rule-ward-wait', 'default']);
  });

  it('payment rules go to the liable municipality (the ready notice\'s recipient), the others to the home municipality', () => {
    const config = parseAlertConfig([
      'pay payment-started route=municipality',
      'wait utklar-days days=1 route=municipality',
      'pay-unit payment-started route=unit',
      'avg municipality-average above=3',
      'receiver orebro webhook=http://orebro.example/hook municipality=1880',
      'receiver kumla webhook=http://kumla.example/hook municipality=1881',
    ].join('\n'), 'r');
    // An Örebro resident whose ready notice went to Kumla: Kumla pays for the days.
    const e = episode({ homeMunicipality: '1880', recipientMunicipality: '1881', openPaymentFromDay: 101 });
    // The month-to-date averages are the invoice basis's lines, per liable municipality (observe.ts).
    const averages = [{ region: '18', municipality: '1881', careType: 'SOMATIC', month: '2026-11', episodes: 2, average: 3.5 }];
    const fired = evaluate(config.rules, observed({ today: 107, episodes: [e], averages }));
    const of = (rule: string) => fired.find((a) => a.rule === rule)!;
    expect(of('pay').labels).toEqual({ alertname: 'pay', kind: 'payment-started', severity: 'warning', episodeId: 'E1', hospital: 'USO', ward: 'Med 1', municipality: '1881' });
    expect(route(of('pay'), config.receivers, true)).toEqual(['topic', 'kumla']);
    expect(route(of('wait'), config.receivers, true)).toEqual(['topic', 'orebro']);
    expect(of('pay-unit').labels).not.toHaveProperty('municipality');
    expect(route(of('avg'), config.receivers, true)).toEqual(['topic', 'kumla']);
    // The same patient with the notice to the home municipality: the payment alert goes home.
    const home = evaluate(config.rules, observed({ today: 107, episodes: [episode({ recipientMunicipality: '1880' })] }));
    expect(route(home.find((a) => a.rule === 'pay')!, config.receivers, true)).toEqual(['topic', 'orebro']);
  });
});
