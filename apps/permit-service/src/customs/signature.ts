import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header every notification carries: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'X-Permit-Ledger-Signature';

/** How far a receiver following this scheme lets `t` stray from its own clock before refusing a replay. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const mac = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

/** The header value for `body` (the exact bytes sent) signed at `t` (unix seconds). */
export function signNotification(secret: string, body: string, t: number): string {
  return `t=${t},v1=${mac(secret, t, body)}`;
}

/**
 * What a receiver does: parse the header, refuse a `t` further than `toleranceSeconds` from `now`, recompute
 * the HMAC over `<t>.<raw body>` and compare in constant time. Any `v1` that matches is accepted (a sender
 * rotating secrets may send several).
 */
export function verifyNotification(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: string } {
  if (!header) return { ok: false, reason: 'no signature header' };
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')).map(([, v]) => v);
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: 'malformed signature header' };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: 'timestamp outside the tolerance' };
  const expected = Buffer.from(mac(secret, t, body), 'hex');
  const match = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  return match ? { ok: true } : { ok: false, reason: 'signature mismatch' };
}
