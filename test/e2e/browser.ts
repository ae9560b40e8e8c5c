import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../support/env.ts';

export const CHROMIUM = process.env.UTKLAR_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = path.join(repoRoot, 'test/e2e/screenshots');

/** Called first in a suite's setup: a missing Chromium fails at once, not after the pipeline's minutes of setup. */
export function requireChromium(): void {
  mkdirSync(SHOTS, { recursive: true });
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run 'bash infra/install-deps.sh' (Debian package chromium) or set UTKLAR_CHROMIUM`);
}

export function launchBrowser(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Logs in with a token on the login page; `lands` is the page the login redirects to (a glob). */
export async function signIn(page: Page, baseUrl: string, token: string, lands: string): Promise<void> {
  await page.goto(`${baseUrl}/login.html`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(`**/${lands}`), page.click('#login')]);
}
