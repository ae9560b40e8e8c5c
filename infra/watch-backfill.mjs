// `npm start`'s last step: follows the simulated history the pipeline produces at start until it
// is applied (every event read by the clocks, nothing waiting for ClickHouse), so a newcomer knows
// when the charts are complete instead of finding them half-filled. Reads /status only; Ctrl-C
// stops the watching, never the pipeline. Plain JavaScript: it runs before anything is compiled.
// Usage: node infra/watch-backfill.mjs PORT [MAX_SECONDS]
const port = process.argv[2] ?? '18080';
const maxSeconds = Number(process.argv[3] ?? 900);
const status = `http://127.0.0.1:${port}/status`;
// The light part of /status: the full one counts ClickHouse's events, slow while a backfill keeps it busy.
const progress = `${status}/progress`;
const tty = process.stdout.isTTY;
const fmt = (n) => n.toLocaleString('en-GB').replace(/,/g, ' ');
const started = Date.now();
const elapsed = () => Math.round((Date.now() - started) / 1000);

async function read() {
  try {
    const r = await fetch(progress, { signal: AbortSignal.timeout(10_000) });
    return r.ok ? await r.json() : undefined;
  } catch {
    return undefined;
  }
}

process.on('SIGINT', () => {
  process.stdout.write(`\n  (stopped watching; the pipeline goes on: ${status})\n`);
  process.exit(0);
});

let announced = false;
let lastLine = 0;
for (;;) {
  const s = await read();
  const sim = s?.simulator;
  if (s && sim === 'off' && elapsed() > 30) process.exit(0); // UTKLAR_SIMULATE=0: nothing to wait for
  const b = sim && sim !== 'off' ? sim.backfill : undefined;
  if (b) {
    const applied = s.consumer?.consumed ?? 0;
    const done = b.events !== null && applied >= b.events && (s.consumer?.rowsPending ?? 0) === 0;
    if (!announced) {
      announced = true;
      process.stdout.write(done ? `\nThe simulated history${b.resumedFrom ? ` (continued from an earlier start, which had reached ${b.resumedFrom})` : ''} is applied; the simulator goes on live. ${status}\n`
        : b.resumedFrom ? `\nThe simulator continues the history of an earlier start (it had reached ${b.resumedFrom}): it produces the time since,\n`
        + `and the pipeline applies it. Progress: ${status}\n`
        : `\nThe simulator is producing ${b.days} days of history and the pipeline is applying it; the charts fill as it goes\n`
        + `(a year is about 160 000 events, about a minute on a 2-core machine). Progress: ${status}\n`);
      if (done) process.exit(0);
    }
    const line = done
      ? `  applied: ${fmt(b.events)} events (produced in ${b.producedInSeconds} s; watched ${elapsed()} s). The charts have their history.`
      : `  ${b.events === null ? `producing: ${fmt(sim.produced)} so far` : `produced: ${fmt(b.events)}`}, applied: ${fmt(Math.min(applied, sim.produced))}  (${elapsed()} s)`;
    if (tty) process.stdout.write(`\r\x1b[K${line}`);
    else if (done || Date.now() - lastLine >= 10_000) {
      process.stdout.write(`${line}\n`);
      lastLine = Date.now();
    }
    if (done) {
      process.stdout.write(tty ? '\n' : '');
      process.exit(0);
    }
  }
  if (elapsed() > maxSeconds) {
    process.stdout.write(`\n  still applying after ${maxSeconds} s (a busy machine?); the pipeline goes on: watch ${status}\n`);
    process.exit(0);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
