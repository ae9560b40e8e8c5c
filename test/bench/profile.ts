import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * The functions a V8 CPU profile (node --cpu-prof) spent most time in themselves, as
 * "share  ms  function  file:line". Node writes one profile per thread; the main thread's is
 * the largest (the others are tsx's loader), so that one is read.
 */
export function topFunctions(dir: string, count = 15): { file: string; lines: string[] } | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f));
  const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!file) return undefined;
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const us = p.timeDeltas[i] ?? 0;
    total += us;
    if (!f) return;
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').split('/node_modules/').pop()!.split('/').slice(-2).join('/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}  ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
  });
  const lines = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${String(Math.round(us / 1000)).padStart(7)} ms  ${k}`);
  return { file, lines };
}
