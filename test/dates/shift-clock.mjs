// Preloaded into every Node process of a `npm run test:dates` run (NODE_OPTIONS=--import …): moves
// this process's wall clock by UTKLAR_CLOCK_OFFSET_MS, so the suite and the pipelines it starts
// believe it is another day. Every process gets the same offset (computed once by the runner), so
// they agree on "now" with each other; Kafka, Redis and ClickHouse keep real time.
//
// Shifted: Date.now(), new Date() without arguments, Date() called as a function. Not shifted:
// performance.now(), process.hrtime(), timers (they measure durations, which an offset leaves
// alone), and anything outside Node (the services, Chromium: tests give the page the shifted time
// through Playwright's clock).
const offset = Number(process.env.UTKLAR_CLOCK_OFFSET_MS ?? '0');

if (Number.isFinite(offset) && offset !== 0 && !globalThis.__utklarShiftedClock) {
  const RealDate = globalThis.Date;
  const realNow = RealDate.now.bind(RealDate);
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset);
      else super(...args);
    }

    static now() {
      return realNow() + offset;
    }
  }
  // `Date()` without `new` returns the current time as a string; a class cannot be called, a proxy can.
  const DateShim = new Proxy(ShiftedDate, {
    apply: () => new ShiftedDate().toString(),
  });
  Object.defineProperty(globalThis, 'Date', { value: DateShim, writable: true, configurable: true });
  Object.defineProperty(globalThis, '__utklarShiftedClock', { value: offset });
}
