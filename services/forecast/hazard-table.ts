/**
 * Discrete-time hazards learnt from history: per group and offset (days from the estimate, or
 * since admission), how many episodes were at risk that day (not yet ready, still inpatient),
 * how many became ready, and how many left without ever being ready. Counting at-risk days
 * rather than whole episodes handles the stays still running (censored) and lets a window slide
 * day by day: a day's counts never change once it has passed.
 */
export interface Hazard {
  ready: number;
  exit: number;
  /** Episodes at risk behind the figure (how much to trust it). */
  atRisk: number;
}

interface Cell {
  atRisk: number;
  ready: number;
  exit: number;
}

export class HazardTable {
  readonly #cells = new Map<string, Map<number, Cell>>();

  /** One episode-day: at risk in each of `groups` at `offset`, its outcome that day; sign −1 takes it back out of the window. */
  add(groups: readonly string[], offset: number, outcome: 'ready' | 'exit' | null, sign: 1 | -1): void {
    for (const g of groups) {
      let byOffset = this.#cells.get(g);
      if (!byOffset) this.#cells.set(g, (byOffset = new Map()));
      let cell = byOffset.get(offset);
      if (!cell) byOffset.set(offset, (cell = { atRisk: 0, ready: 0, exit: 0 }));
      cell.atRisk += sign;
      if (outcome === 'ready') cell.ready += sign;
      if (outcome === 'exit') cell.exit += sign;
    }
  }

  /**
   * The hazard at `offset` from the most specific group (listed most specific first) with at least
   * `minAtRisk` episodes behind it, else from the one with the most; null when none has any.
   */
  hazard(groups: readonly string[], offset: number, minAtRisk: number): Hazard | null {
    let best: Cell | null = null;
    for (const g of groups) {
      const cell = this.#cells.get(g)?.get(offset);
      if (!cell || cell.atRisk <= 0) continue;
      if (cell.atRisk >= minAtRisk) return { ready: cell.ready / cell.atRisk, exit: cell.exit / cell.atRisk, atRisk: cell.atRisk };
      if (!best || cell.atRisk > best.atRisk) best = cell;
    }
    return best && { ready: best.ready / best.atRisk, exit: best.exit / best.atRisk, atRisk: best.atRisk };
  }
}
