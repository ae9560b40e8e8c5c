import type { ServerResponse } from 'node:http';

/**
 * The pages load their scripts and styles from files only (services/web/static, assets/): no
 * inline script or style, no eval, no CDN, so the policy allows 'self' and nothing inline. A
 * value injected into a page (a ward name, say) can then run nothing, and no other site may
 * frame the pages (clickjacking of the board) or learn their URLs through the Referer.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // frame-ancestors' predecessor, for browsers that predate CSP level 2.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Set before any route answers: writeHead merges them into every answer, errors and 404s included. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
