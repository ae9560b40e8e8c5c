import type { ClickHouseClient } from '@clickhouse/client';
import { countyCodes, municipalities } from '../../services/reference/municipalities.ts';
import { FACT_COLUMNS, int, str } from '../../services/indicators/sql.ts';

export interface NationalData {
  /** Whole years of history ending on `today` (a Stockholm epoch day). */
  years: number;
  today: number;
  /** Episodes admitted per year, nationally (≈ 1.2 M in Sweden). */
  episodesPerYear: number;
  seed: number;
}

/**
 * Synthetic national `episode_facts`, written by ClickHouse itself (INSERT … SELECT FROM
 * numbers()) so that five years (≈ 15 M version rows) take a minute, not an hour of JSON. Each
 * episode has 2–3 versions (admitted; ready; discharged or still open) like the clock's changelog:
 * 21 regions, the 290 kommuner (3 % treated outside the home county), five clinics, skewed waits
 * (45 % day-0 discharges, a long tail beyond 14 days), 2 % cancelled, 8 % readmissions, and the
 * episodes admitted in the last days still open, so ≈ 15 000 are inpatient and ≈ 1 000 waiting
 * as of `today`, as nationally. Deterministic in `seed`. The same SQL runs on ClickHouse 18.16,
 * a current server and chDB. Not the clock's output: the indicators' speed depends on how many
 * rows and of what shape, not on how they were folded (the indicators' correctness is tested on
 * the real fold elsewhere).
 */
export async function writeNationalFacts(client: ClickHouseClient, db: string, o: NationalData, batches = 10): Promise<number> {
  const span = 365 * o.years;
  const episodes = o.episodesPerYear * o.years;
  const start = o.today - span + 1;
  const kommuner = [...municipalities.keys()].sort();
  const counties = [...countyCodes].sort();
  const list = (xs: string[]) => `[${xs.map(str).join(', ')}]`;
  const per = Math.ceil(episodes / batches);
  // Each version round its own inserts, as the changelog brings them over time: the versions of an
  // episode lie in different parts until a merge collapses them (ReplacingMergeTree).
  for (let round = 1; round <= 3; round++) for (let b = 0; b < batches; b++) {
    const first = b * per;
    const count = Math.min(per, episodes - first);
    if (count <= 0) break;
    // h(k): the k-th independent pseudo-random number of an episode.
    const h = (k: number) => `cityHash64(e, ${int(o.seed * 100 + k)})`;
    await client.command({ query: `
      INSERT INTO ${db}.episode_facts (episode_id, version, status, region, hospital, clinic, ward, business_area, care_type, admission_type,
        home_municipality, home_county, out_of_county, recipient_municipality, primary_care_unit, age_years, age_group,
        admitted_day, admitted_month, discharged_day, discharged_month, destination, ready_start_days, ready_end_days,
        payment_days, open_payment_from_day, track_colour, fast_vardkontakt, liability, readmission_of, readmission_source,
        readmission_index_clinic, discharge_clinic, delay_reasons, delay_parties, ingested_at)
      SELECT episode_id, version, status, region, hospital, clinic, ward, business_area, care_type, admission_type,
        home_municipality, home_county, out_of_county, recipient_municipality, primary_care_unit, age_years, age_group,
        admitted_day, admitted_month, discharged_day, discharged_month, destination, ready_start_days, ready_end_days,
        payment_days, open_payment_from_day, track_colour, fast_vardkontakt, liability, readmission_of, readmission_source,
        readmission_index_clinic, discharge_clinic, delay_reasons, delay_parties, ingested_at
      FROM (
        SELECT
          e, v, k,
          concat('n', toString(e)) AS episode_id,
          toUInt64(v) AS version,
          toInt32(${int(start)} + intDiv(e * ${int(span)}, ${int(episodes)})) AS admitted_day,
          toInt32(1 + ${h(2)} % 10) AS los,
          ${h(3)} % 100 < 70 AS has_ready,
          toInt32(${h(5)} % 100) AS x,
          toInt32(multiIf(x < 45, 0, x < 62, 1, x < 74, 2 + x % 2, x < 88, 4 + x % 10, 14 + ${h(4)} % 25)) AS wait,
          admitted_day + los AS ready_day,
          if(has_ready, ready_day + wait, admitted_day + los + 1) AS out_day,
          ${h(6)} % 100 < 2 AS cancelled,
          out_day > ${int(o.today)} AS still_in,
          has_ready AND ready_day <= ${int(o.today)} AS ready_by_now,
          v = k AS final,
          -- An earlier version: just admitted (v = 1), or ready and still in (v = 2 of 3).
          final AND NOT still_in AS closed,
          (final OR v = 2) AND ready_by_now AS ready_known,
          multiIf(final AND cancelled, 'CANCELLED', closed, 'DISCHARGED', ready_known, 'READY', 'ADMITTED') AS status,
          ${list(kommuner)}[1 + ${h(7)} % ${int(kommuner.length)}] AS home_municipality,
          substring(home_municipality, 1, 2) AS home_county,
          if(${h(8)} % 100 < 3, ${list(counties)}[1 + ${h(9)} % ${int(counties.length)}], home_county) AS region,
          toUInt8(region != home_county) AS out_of_county,
          if(${h(10)} % 100 < 4, ${list(kommuner)}[1 + ${h(11)} % ${int(kommuner.length)}], home_municipality) AS recipient_municipality,
          ['Medicin', 'Medicin', 'Geriatrik', 'Ortopedi', 'Kirurgi', 'Psykiatri'][1 + ${h(12)} % 6] AS clinic,
          concat(region, '-', ['US', 'LS', 'NS'][1 + ${h(13)} % 3]) AS hospital,
          concat(substring(clinic, 1, 3), ' ', toString(1 + ${h(14)} % 4)) AS ward,
          clinic AS business_area,
          if(clinic = 'Psykiatri', 'PSYCHIATRIC', 'SOMATIC') AS care_type,
          if(${h(15)} % 100 < 80, 'ACUTE', 'PLANNED') AS admission_type,
          concat('VC ', home_municipality, '-', toString(${h(16)} % 3)) AS primary_care_unit,
          toInt16(40 + ${h(17)} % 60) AS age_years,
          multiIf(age_years < 65, '0-64', age_years < 75, '65-74', age_years < 85, '75-84', '85+') AS age_group,
          toUInt32(toYYYYMM(toDate(admitted_day))) AS admitted_month,
          toInt32(if(closed, out_day, -1)) AS discharged_day,
          toUInt32(if(closed, toYYYYMM(toDate(out_day)), 0)) AS discharged_month,
          if(closed, if(has_ready, 'MUNICIPAL_CARE', 'HOME'), '') AS destination,
          if(ready_known, [toInt32(ready_day)], emptyArrayInt32()) AS ready_start_days,
          if(ready_known, [toInt32(if(closed, out_day, -1))], emptyArrayInt32()) AS ready_end_days,
          if(ready_known AND closed, arrayMap(i -> toInt32(ready_day + 1 + i), range(toUInt32(greatest(wait - 1, 0)))), emptyArrayInt32()) AS payment_days,
          toInt32(if(ready_known AND NOT closed, ready_day + 1, -1)) AS open_payment_from_day,
          if(ready_known, ['GREEN', 'YELLOW', 'RED', 'BLUE'][1 + ${h(18)} % 4], '') AS track_colour,
          toUInt8(${h(19)} % 100 < 70) AS fast_vardkontakt,
          multiIf(NOT ready_known, 'not-applicable', ${h(20)} % 100 < 90, 'liable', 'not-liable') AS liability,
          if(${h(21)} % 100 < 8 AND e > 2000, concat('n', toString(e - 1000 - ${h(22)} % 900)), '') AS readmission_of,
          if(readmission_of != '', 'ADMISSION', '') AS readmission_source,
          if(readmission_of != '', ['Medicin', 'Geriatrik', 'Ortopedi'][1 + ${h(23)} % 3], '') AS readmission_index_clinic,
          if(closed, clinic, '') AS discharge_clinic,
          if(ready_known AND wait > 3, ['BRIST_PLATS'], emptyArrayString()) AS delay_reasons,
          if(ready_known AND wait > 3, ['MUNICIPALITY'], emptyArrayString()) AS delay_parties,
          toDateTime(1600000000 + e % 100000, 'UTC') AS ingested_at
        FROM (SELECT toUInt64(${int(first)} + number) AS e, toUInt8(${int(round)}) AS v, toUInt8(2 + cityHash64(e, ${int(o.seed * 100 + 1)}) % 2) AS k
              FROM numbers(${int(count)}))
        WHERE v <= k AND v = ${int(round)}
      )` });
  }
  const [r] = await (await client.query({ query: `SELECT count() AS n FROM ${db}.episode_facts`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(r!.n);
}

/**
 * Newer versions of about `count` episodes, stored now (after the read model's watermark), as live
 * traffic and corrections leave them between two generations: a different track colour and fast
 * vårdkontakt, a third of them cancelled. Queries then take back what those
 * episodes contributed to the generation and add their newest versions.
 */
export async function writeChanges(client: ClickHouseClient, db: string, generation: number, episodes: number, count: number, seed: number): Promise<number> {
  const every = Math.max(1, Math.round(episodes / count));
  const columns = ['episode_id', 'version', ...FACT_COLUMNS];
  // From a subquery of renamed columns: an alias named like the column its expression reads would be cyclic.
  const changed: Record<string, string> = {
    version: 'o_version + 1',
    status: "if(cityHash64(o_episode_id) % 3 = 0, 'CANCELLED', o_status)",
    track_colour: "if(o_track_colour = 'GREEN', 'RED', 'GREEN')",
    fast_vardkontakt: 'toUInt8(1 - o_fast_vardkontakt)',
    ingested_at: 'now()',
  };
  await client.command({ query: `
    INSERT INTO ${db}.episode_facts (${columns.join(', ')})
    SELECT ${columns.map((c) => `${changed[c] ?? `o_${c}`} AS ${c}`).join(', ')}
    FROM (SELECT ${columns.map((c) => `${c} AS o_${c}`).join(', ')} FROM ${db}.episode_snapshot
          WHERE generation = ${int(generation)} AND cityHash64(episode_id, ${int(seed)}) % ${int(every)} = 0)` });
  const [r] = await (await client.query({ query: `SELECT count() AS n FROM ${db}.episode_facts WHERE ingested_at >= now() - 600`, format: 'JSONEachRow' })).json<{ n: string }>();
  return Number(r!.n);
}

/**
 * Stores a newer version of one of a fixed sample of the generation's episodes `perSecond` times a
 * second until stopped, as live traffic does (the server stamps each): every one is a new read
 * point, so that each answer cached at the one before is unreachable. Returns how many it stored.
 */
export async function liveChanges(client: ClickHouseClient, db: string, generation: number, perSecond: number, seed: number): Promise<{ stop: () => Promise<number> }> {
  const columns = ['episode_id', 'version', ...FACT_COLUMNS.filter((c) => c !== 'ingested_at')];
  const sample = await (await client.query({ query: `SELECT ${columns.join(', ')} FROM ${db}.episode_snapshot WHERE generation = ${int(generation)} AND cityHash64(episode_id, ${int(seed)}) % 3000 = 0 LIMIT 2000`, format: 'JSONEachRow' })).json<Record<string, unknown>>();
  if (sample.length === 0) throw new Error('live changes: the generation holds no episode');
  let written = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = sample[written % sample.length]!;
      const round = Math.floor(written / sample.length) + 1;
      await client.insert({ table: `${db}.episode_facts`, values: [{ ...r, version: Number(r.version) + round, track_colour: round % 2 === 1 && r.track_colour === 'GREEN' ? 'RED' : 'GREEN' }], format: 'JSONEachRow', columns: columns as never });
      written++;
      await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond));
    }
  })();
  return { stop: async () => { stopped = true; await loop; return written; } };
}
