import { describe, expect, it } from 'vitest';
import { parseRules } from '../../services/alerting/rules.ts';
import { evaluate } from '../../services/alerting/evaluate.ts';
import type { BoardEpisode } from '../../services/api/board-feed.ts';

const episode = (over: Partial<BoardEpisode> = {}): BoardEpisode & { region: string } => ({
  episodeId: 'E1', status: 'READY', hospital: 'USO', ward: 'Med 1', clinic: 'Medicinkliniken', homeMunicipality: '1880', careType: 'SOMATIC', ageGroup: '85+',
  readySince: 0, readyStartDays: [100], readyEndDays: [-1], paymentDays: 0, openPaymentFromDay: 101, trackColour: 'RED', fastVardkontakt: true, sip: 'not-applicable',
  delayReasons: [], readmissionOf: null, problems: [], region: '18', ...over,
});

describe('alert rules file', () => {
  it('reads one rule per line with its settings', () => {
    const rules = parseRules('# escalations\nlong-wait utklar-days days=7 careType=SOMATIC severity=critical route=unit\n\nsip sip-not-called webhook=http://127.0.0.1:9/hook\n', 'alerts.conf');
    expect(rules).toEqual([
      { id: 'long-wait', kind: 'utklar-days', days: 7, careType: 'SOMATIC', track: null, severity: 'critical', route: 'unit', webhook: null },
      { id: 'sip', kind: 'sip-not-called', days: 0, careType: null, track: null, severity: 'warning', route: 'municipality', webhook: 'http://127.0.0.1:9/hook' },
    ]);
  });

  it('names the bad line', () => {
    expect(() => parseRules('a utklar-days days=7\nb utklar-weeks\n', 'alerts.conf')).toThrow("alerts.conf:2: unknown kind 'utklar-weeks'");
    expect(() => parseRules('a utklar-days\n', 'x.conf')).toThrow('x.conf:1: utklar-days needs days=N');
    expect(() => parseRules('a sip-not-called days=3\n', 'x.conf')).toThrow("x.conf:1: 'days' is not a setting of sip-not-called");
    expect(() => parseRules('a payment-started\na payment-started\n', 'x.conf')).toThrow("x.conf:2: rule id 'a' is used twice");
  });
});

describe('evaluation', () => {
  const rules = parseRules('week utklar-days days=7\nred utklar-days days=2 track=RED route=unit\nsip sip-not-called\npay payment-started\n', 'r');

  it('fires what holds today, with a stable fingerprint and routing labels, and no personal data', () => {
    const day6 = evaluate(rules, [episode()], 106);
    expect(day6.map((a) => a.rule).sort()).toEqual(['pay', 'red']);
    const day7 = evaluate(rules, [episode()], 107);
    expect(day7.map((a) => a.rule).sort()).toEqual(['pay', 'red', 'week']);
    expect(day7.find((a) => a.rule === 'red')!.fingerprint).toBe(day6.find((a) => a.rule === 'red')!.fingerprint);
    expect(day7.find((a) => a.rule === 'red')!.labels).toEqual({ alertname: 'red', kind: 'utklar-days', severity: 'warning', episodeId: 'E1', hospital: 'USO', ward: 'Med 1' });
    expect(day7.find((a) => a.rule === 'week')!.labels.municipality).toBe('1880');
    expect(evaluate(rules, [episode({ sip: 'unmet', trackColour: 'GREEN', openPaymentFromDay: 200 })], 101).map((a) => a.rule)).toEqual(['sip']);
  });
});
