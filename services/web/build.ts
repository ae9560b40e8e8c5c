import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.join(here, 'dist');

/**
 * The browser pages' build: TypeScript bundled by esbuild into dist/assets, the HTML and CSS
 * copied beside it. Everything the pages need is served by the pipeline itself (no CDN).
 * Runs at pipeline start (about 100 ms) so a fresh clone never serves stale or missing assets.
 */
export async function buildWeb(outDir = WEB_DIST): Promise<void> {
  mkdirSync(path.join(outDir, 'assets'), { recursive: true });
  await build({
    entryPoints: ['board', 'analytics', 'login'].map((n) => path.join(here, 'src', `${n}.ts`)),
    outdir: path.join(outDir, 'assets'),
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  cpSync(path.join(here, 'static'), outDir, { recursive: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWeb();
