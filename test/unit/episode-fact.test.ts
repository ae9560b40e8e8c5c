import { describe, expect, it } from 'vitest';
import { stateChanged } from '../../services/clock/changelog.ts';
import { episodeClock } from '../../services/clock/episode-clock.ts';
import { foldEpisode } from '../../services/clock/episode-state.ts';
import { OREBRO_RULES } from '../../services/clock/rules.ts';
import { stockholmDay } from '../../services/core/stockholm-time.ts';
import { episodeFact, type EpisodeFact } from '../../services/facts/episode-fact.ts';
import { paymentDaysOn, utklarDaysOn } from '../../services/facts/day-counts.ts';
import { simulatedEpisodes } from '../support/simulated-episodes.ts';

// services/facts/day-counts.ts: the SQL of services/indicators/sql.ts in TypeScript, as the board and alerting use it.
const utklarAt = (f: EpisodeFact, today: number) => utklarDaysOn({ readyStartDays: f.ready_start_days, readyEndDays: f.ready_end_days }, today);
const paymentAt = (f: EpisodeFact, today: number) => paymentDaysOn({ paymentDays: f.payment_days.length, openPaymentFromDay: f.open_payment_from_day }, today);

describe('episode facts: day counts kept as Stockholm days, open periods counted at query time', () => {
  const from = Date.parse('2026-03-01T00:00:00+01:00');
  const until = Date.parse('2026-04-15T00:00:00+02:00'); // across the spring DST switch
  const byEpisode = simulatedEpisodes({ seed: 3, admissionsPerDay: 120, from, until });

  it('give the domain clock\'s follow-up and payment days at any later instant', () => {
    let open = 0;
    for (const list of byEpisode.values()) {
      const s = foldEpisode(list);
      const fact = episodeFact(stateChanged({ state: s, readmission: null }, 1, list[0]!.eventId), OREBRO_RULES);
      if (fact.ready_end_days.includes(-1)) open++;
      for (const at of [until, until + 5 * 86_400_000 + 3_600_000]) {
        const clock = episodeClock(s, at, OREBRO_RULES);
        const today = stockholmDay(at);
        expect([s.episodeId, utklarAt(fact, today), paymentAt(fact, today)]).toEqual([s.episodeId, clock.utklarDays, clock.paymentDays]);
      }
    }
    expect(byEpisode.size).toBeGreaterThan(3000);
    expect(open).toBeGreaterThan(20);
  });

  it('record which conditions were unmet, and not-liable exactly when a required one is', () => {
    let notLiable = 0;
    for (const list of byEpisode.values()) {
      const fact = episodeFact(stateChanged({ state: foldEpisode(list), readmission: null }, 1, list[0]!.eventId), OREBRO_RULES);
      const requiredUnmet = fact.conditions_unmet.filter((c) => (OREBRO_RULES.conditions as string[]).includes(c));
      if (fact.liability === 'not-applicable') expect(fact.conditions_unmet).toEqual([]);
      else expect([fact.episode_id, fact.liability === 'not-liable']).toEqual([fact.episode_id, requiredUnmet.length > 0]);
      if (fact.liability === 'not-liable') notLiable++;
    }
    // The simulator leaves some admission notices late and some SIP kallelser missing.
    expect(notLiable).toBeGreaterThan(10);
  });
});
