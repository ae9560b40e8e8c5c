import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST_ROOT = path.join(here, 'dist');

/** Every source file of the pages (in folders too), hashed: the build's output directory is named by it. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const dir of ['src', 'static']) {
    for (const name of readdirSync(path.join(here, dir), { recursive: true, encoding: 'utf8' }).sort()) {
      const file = path.join(here, dir, name);
      if (statSync(file).isFile()) h.update(`${dir}/${name}\0`).update(readFileSync(file));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Where the built pages are served from (services/app/web.ts). */
export const WEB_DIST = path.join(DIST_ROOT, sourceHash());

/**
 * The browser pages' build: TypeScript bundled by esbuild into assets/, the HTML and CSS copied
 * beside it. Everything the pages need is served by the pipeline itself (no CDN). Runs at
 * pipeline start (about 100 ms) so a fresh clone never serves stale or missing assets. Several
 * processes may start at once: each builds into a directory of its own and renames it into place
 * under the sources' hash, so nobody ever serves or overwrites a half-written build.
 */
export async function buildWeb(outDir = WEB_DIST): Promise<void> {
  if (existsSync(path.join(outDir, 'login.html'))) return;
  const tmp = `${outDir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(path.join(tmp, 'assets'), { recursive: true });
  await build({
    entryPoints: ['board', 'analytics', 'reports', 'invoices', 'login', 'riket', 'access-log', 'changes'].map((n) => path.join(here, 'src', `${n}.ts`)),
    outdir: path.join(tmp, 'assets'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  cpSync(path.join(here, 'static'), tmp, { recursive: true });
  try {
    renameSync(tmp, outDir);
  } catch {
    // Another process put the same build in place first.
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
