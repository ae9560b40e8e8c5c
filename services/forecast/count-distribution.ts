/**
 * How many patients become ready on one day in one municipality: each open episode becomes
 * ready that day or not (a Bernoulli with its own probability; episodes are taken as
 * independent), and stays not yet begun add a Poisson count. The sum's exact distribution, from
 * which the point forecast (median) and the bands (central quantile intervals) are read.
 */
export interface CountSummary {
  /** Expected patients (the mean). */
  expected: number;
  median: number;
  /** Central 50 % and 90 % intervals (quantiles 0.25–0.75 and 0.05–0.95), whole patients. */
  band50: [number, number];
  band90: [number, number];
}

/** Mass below this is dropped: it changes no quantile a person reads. */
const NEGLIGIBLE = 1e-12;

function trim(pmf: number[]): number[] {
  let end = pmf.length;
  while (end > 1 && pmf[end - 1]! < NEGLIGIBLE) end--;
  return end === pmf.length ? pmf : pmf.slice(0, end);
}

/** The probability mass function of a sum of independent Bernoullis plus a Poisson(lambda). */
export function countPmf(probabilities: readonly number[], lambda: number): number[] {
  let pmf = [1];
  for (const p of probabilities) {
    if (!(p > 0)) continue;
    const q = Math.min(1, p);
    const next = new Array<number>(pmf.length + 1).fill(0);
    for (let k = 0; k < pmf.length; k++) {
      next[k]! += pmf[k]! * (1 - q);
      next[k + 1]! += pmf[k]! * q;
    }
    pmf = trim(next);
  }
  if (lambda > 0) {
    const poisson: number[] = [];
    let term = Math.exp(-lambda);
    // Past the mean the terms only shrink: stop once they are negligible.
    for (let k = 0; k < 10_000 && (k <= lambda || term >= NEGLIGIBLE); k++) {
      poisson.push(term);
      term *= lambda / (k + 1);
    }
    const out = new Array<number>(pmf.length + poisson.length - 1).fill(0);
    for (let i = 0; i < pmf.length; i++) for (let j = 0; j < poisson.length; j++) out[i + j]! += pmf[i]! * poisson[j]!;
    pmf = trim(out);
  }
  return pmf;
}

/** The smallest count whose cumulative probability reaches q. */
export function quantile(pmf: readonly number[], q: number): number {
  let cumulative = 0;
  for (let k = 0; k < pmf.length; k++) {
    cumulative += pmf[k]!;
    // A hair of tolerance: sums of floating products land a rounding error short of 0.5 exactly.
    if (cumulative >= q - 1e-9) return k;
  }
  return pmf.length - 1;
}

export function summarise(probabilities: readonly number[], lambda: number): CountSummary {
  const pmf = countPmf(probabilities, lambda);
  const expected = probabilities.reduce((s, p) => s + Math.max(0, Math.min(1, p)), 0) + Math.max(0, lambda);
  return {
    expected,
    median: quantile(pmf, 0.5),
    band50: [quantile(pmf, 0.25), quantile(pmf, 0.75)],
    band90: [quantile(pmf, 0.05), quantile(pmf, 0.95)],
  };
}
