import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { boardEpisodes, boardSelection } from '../board/board-feed.ts';
import { auditorOf, readerOf } from '../api/auth.ts';
import type { AccessRecorder } from '../api/access-log.ts';
import { scopeText } from '../model/scope.ts';
import { errorResponse } from '../api/routes.ts';
import { UtklarError } from '../core/errors.ts';
import { WEB_DIST } from '../web/build.ts';
import type { Pipeline } from './pipeline.ts';
import type { SideView } from '../rebuild/side-clocks.ts';
import { areas } from './areas.ts';
import { fromEpochDay, stockholmDay } from '../core/stockholm-time.ts';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json', '.svg': 'image/svg+xml' };
const COOKIE = 'utklar_token';

/** The bearer token of a request: the Authorization header, else the session cookie the login page set. */
export function authorizationOf(req: IncomingMessage): string | undefined {
  if (req.headers.authorization) return req.headers.authorization;
  const cookie = (req.headers.cookie ?? '').split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? `Bearer ${decodeURIComponent(cookie.slice(COOKIE.length + 1))}` : undefined;
}

/**
 * Who a signed-in page belongs to: a reading scope, or an auditor (audit:NN), who reads only the
 * access log but signs in and is named in the header like everyone else. Anything else (a source
 * system's token) stays refused.
 */
function signedIn(authorization: string | undefined, secret: string): { scope: string; kind: string } {
  try {
    const s = readerOf(authorization, secret).scope;
    return { scope: scopeText(s), kind: s.kind };
  } catch (e) {
    if (!(e instanceof UtklarError && e.code === 'FORBIDDEN')) throw e;
    try {
      return { scope: `audit:${auditorOf(authorization, secret).region}`, kind: 'audit' };
    } catch {
      throw e;
    }
  }
}

const START: Record<string, string> = { nation: '/riket.html', audit: '/access-log.html' };

const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
function fail(res: ServerResponse, e: unknown): void {
  const r = errorResponse(e);
  res.writeHead(r.status, { 'content-type': r.contentType }).end(r.body);
}

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) {
    s += chunk;
    if (s.length > 16_384) throw new UtklarError('INVALID_REQUEST', 'request body too large');
  }
  return s;
}

/**
 * The browser side: static pages (built by services/web/build.ts), login with a token into an
 * HttpOnly cookie, who-am-I, and the live board as JSON or as a server-sent event stream that
 * pushes a new snapshot within half a second of a change. Returns false when not its route.
 */
export async function serveWeb(
  serving: () => Pipeline, req: IncomingMessage, res: ServerResponse, url: URL, accessLog?: AccessRecorder,
  // The clocks of the side the API answers from (services/rebuild/side-clocks.ts); the pipeline's own without one.
  viewOf: (p: Pipeline) => Promise<SideView> = async (p) => ({ reads: p.clocks.read, rules: p.rules }),
): Promise<boolean> {
  const p = serving();
  const secret = p.config.apiSecret;
  const reader = () => {
    if (!secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the query API is disabled: set UTKLAR_API_SECRET');
    return readerOf(authorizationOf(req), secret);
  };
  const scope = () => reader().scope;
  // Over TLS (a terminating proxy in front) the token must never travel in clear.
  const cookie = (value: string, extra = '') => `${COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/${extra}${p.config.cookieSecure ? '; Secure' : ''}`;
  try {
    if (url.pathname === '/login' && req.method === 'POST') {
      const token = new URLSearchParams(await body(req)).get('token')?.trim() ?? '';
      try {
        if (!secret) throw new UtklarError('UNAUTHORIZED', 'API disabled');
        signedIn(`Bearer ${token}`, secret);
      } catch (e) {
        res.writeHead(303, { location: `/login.html?error=${(e as Error).message === 'token expired' ? 'expired' : 'invalid'}` }).end();
        return true;
      }
      // The nation reads statistics, not the live board (board-feed.ts): it starts on Riket; an auditor on the access log.
      const start = START[signedIn(`Bearer ${token}`, secret!).kind] ?? '/board.html';
      res.writeHead(303, { location: start, 'set-cookie': cookie(encodeURIComponent(token)) }).end();
      return true;
    }
    if (url.pathname === '/logout' && req.method === 'POST') {
      res.writeHead(204, { 'set-cookie': cookie('', '; Max-Age=0') }).end();
      return true;
    }
    if (url.pathname === '/api/v1/me') {
      if (!secret) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'the query API is disabled: set UTKLAR_API_SECRET');
      json(res, 200, signedIn(authorizationOf(req), secret));
      return true;
    }
    if (url.pathname === '/api/v1/areas') {
      scope();
      const year = url.searchParams.get('year');
      // Loaded when the pipeline starts, a moment after the server.
      if (!p.population) throw new UtklarError('DEPENDENCY_UNAVAILABLE', 'reference data not loaded yet');
      if (year !== null && !/^\d{4}$/.test(year)) throw new UtklarError('INVALID_REQUEST', `year: expected YYYY, got '${year}'`);
      json(res, 200, areas(p.population, year === null ? fromEpochDay(stockholmDay(Date.now())).year : Number(year)));
      return true;
    }
    if (url.pathname === '/api/v1/board') {
      const { scope: s, subject } = reader();
      const now = Date.now();
      const view = await viewOf(p);
      const { episodes, regions } = await boardEpisodes(view.reads, boardSelection(s, url.searchParams), s, view.rules, now);
      accessLog?.record({ at: now, subject, scope: s, endpoint: url.pathname, format: 'json', filters: url.searchParams, episodes: episodes.length, episodeRegions: regions });
      json(res, 200, { asOf: now, episodes });
      return true;
    }
    if (url.pathname === '/api/v1/board/stream') {
      const { scope: s, subject } = reader();
      const selection = boardSelection(s, url.searchParams);
      // Logged once, with the first snapshot: a stream shows the selection's patients as they come
      // and go for as long as it is open, and every reconnect is a new request, logged again.
      let logged = false;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      // The browser's EventSource reconnects by itself after 1 s when the stream ends.
      res.write('retry: 1000\n\n');
      let last = '';
      let busy = false;
      const push = async () => {
        if (busy) return;
        busy = true;
        try {
          // A stream outlives its request: once the token expires (or the secret changes) it
          // ends, and the browser's reconnect meets the 401.
          try {
            scope();
          } catch {
            clearInterval(poll);
            clearInterval(keepAlive);
            res.end();
            return;
          }
          const now = Date.now();
          // The side of each snapshot, not the request's: after a promotion an open stream shows the
          // promoted side's clocks (services/rebuild/side-clocks.ts, follow.ts).
          const live = await viewOf(serving());
          const { episodes, regions } = await boardEpisodes(live.reads, selection, s, live.rules, now);
          if (!logged) {
            logged = true;
            accessLog?.record({ at: now, subject, scope: s, endpoint: url.pathname, format: 'sse', filters: url.searchParams, episodes: episodes.length, episodeRegions: regions });
          }
          const text = JSON.stringify(episodes);
          if (text !== last) {
            last = text;
            res.write(`event: board\ndata: ${JSON.stringify({ asOf: Date.now(), episodes })}\n\n`);
          }
        } catch {
          res.write(': redis unavailable, retrying\n\n');
        } finally {
          busy = false;
        }
      };
      const poll = setInterval(() => void push(), 300);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      req.on('close', () => {
        clearInterval(poll);
        clearInterval(keepAlive);
      });
      await push();
      return true;
    }
  } catch (e) {
    fail(res, e);
    return true;
  }
  if (req.method !== 'GET') return false;
  const file = url.pathname === '/' ? '/board.html' : url.pathname;
  if (!/^\/(assets\/)?[a-z0-9.-]+\.(html|js|css|map)$/.test(file)) return false;
  try {
    const content = await readFile(path.join(WEB_DIST, file));
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(content);
    return true;
  } catch {
    return false;
  }
}
