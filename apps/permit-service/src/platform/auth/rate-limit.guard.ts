import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isIPv6 } from 'node:net';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { APP_CONFIG, CLOCK } from '../store/tokens.js';
import { sendProblem } from '../errors/problem.filter.js';
import { ProblemException } from '../errors/problem.js';
import type { AuthenticatedRequest } from './auth.guard.js';

const WINDOW_MS = 60_000;

/** Counts in fixed one-minute windows, per key; all counts start again at the next window. */
class MinuteCounter {
  private start = 0;
  private readonly counts = new Map<string, number>();

  /** Adds one to `key`'s count and answers the count, the seconds until its window ends, and the window. */
  add(key: string, now: number): { count: number; retryAfter: number; window: number } {
    const start = now - (now % WINDOW_MS);
    if (start !== this.start) {
      // Windows are aligned: every count of an earlier one is over.
      this.counts.clear();
      this.start = start;
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return { count, retryAfter: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)), window: start };
  }

  /** Takes back one count added in `window`, if that window is still the current one. */
  takeBack(key: string, window: number): void {
    const count = this.counts.get(key);
    if (window === this.start && count) this.counts.set(key, count - 1);
  }
}

/** Bearer tokens admitted within the last minute (a token's expiry is still checked by AuthGuard each time). */
class RecentTokens {
  private readonly until = new Map<string, number>();

  has(token: string, now: number): boolean {
    return (this.until.get(token) ?? 0) > now;
  }

  add(token: string, now: number): void {
    // Only verified tokens get here, so an attacker cannot flood it; clearing costs a re-count at worst.
    if (this.until.size >= RECENT_TOKENS) this.until.clear();
    this.until.set(token, now + WINDOW_MS);
  }
}

const RECENT_TOKENS = 10_000;
const bearer = (req: Request) => /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];

/** What the middleware counted for a request that carries an Authorization header. */
interface Pending {
  address: string;
  /** The window of the arrival count, or null when the token was admitted recently and not counted. */
  window: number | null;
  settled: boolean;
}
const PENDING = Symbol('address-rate-limit');
type Tracked = Request & { [PENDING]?: Pending };

/**
 * The key of a client address: an IPv4 address as it is (also when IPv4-mapped), an IPv6 address by its
 * /64, the smallest block a host is given: one host must not get a fresh budget from every address of it.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head, tail = ''] = address.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

const clientAddress = (req: Request) => addressKey(req.ip ?? req.socket.remoteAddress);

/** Liveness and readiness probes: never limited, an orchestrator must always reach them. */
const PROBE = /^\/health\/(live|ready)\/?$/;

/**
 * Per client address limit on requests that carry no valid token, in one-minute windows, answering 429
 * RATE_LIMITED with Retry-After. Its middleware runs first (ahead of routing, token verification and any body reading):
 *   - GET / HEAD / OPTIONS without an Authorization header (the public reads: the OpenAPI document and UI, the
 *     ledger's public key, metrics, the dashboard page; and unauthenticated reads, refused 401): PUBLIC_RATE_LIMIT_PER_MINUTE;
 *   - every other request without one (the dev login, commands and unknown routes), and every request with an
 *     Authorization header, whatever its method, whose token has not been admitted within the last minute:
 *     ANONYMOUS_RATE_LIMIT_PER_MINUTE. Such a request is counted on arrival, and refused on arrival once the
 *     address is over that budget, before its token is verified (so bogus tokens cost no verification either).
 *     The count is taken back as soon as the token is verified (RateLimitGuard, or a 403: verified, wrong role),
 *     so valid tokens behind one shared address (NAT) do not spend it; a 401, a 404 or anything else keeps it;
 *   - a request whose token was admitted within the last minute is not counted nor refused on arrival: a valid
 *     token is served even from an address that is over its budget (its subject's limits apply). Should it fail
 *     after all (expired since), it is counted when answered;
 *   - the probes /health/live and /health/ready: never limited.
 * On a public route nobody verifies the header: RateLimitGuard counts the request in its method's budget instead.
 * The address is the socket's, or with TRUST_PROXY the client's as the trusted proxies report it.
 */
@Injectable()
export class AddressRateLimit {
  private readonly logger = new Logger('RateLimit');
  private readonly reads = new MinuteCounter();
  private readonly others = new MinuteCounter();
  private readonly recent = new RecentTokens();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Counts one request without a verified token against its address, in its method's budget (`anonymous`:
   * the anonymous one whatever the method); throws 429 when that is over. Answers the count's window.
   */
  spend(req: Request, anonymous = false): number {
    const read = !anonymous && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS');
    const [counter, limit, what] = read
      ? [this.reads, this.config.publicRateLimitPerMinute, 'reads without a token']
      : [this.others, this.config.anonymousRateLimitPerMinute, 'requests without a valid token'];
    const address = clientAddress(req);
    const { count, retryAfter, window } = counter.add(address, Date.now());
    if (count <= limit) return window;
    if (count === limit + 1) this.logger.warn(`429 address ${address}: over ${limit} ${what}/min`);
    throw new ProblemException(
      429,
      'RATE_LIMITED',
      `more than ${limit} ${what} in a minute from this address`,
      {},
      { 'Retry-After': String(retryAfter) },
    );
  }

  /** The request's token is verified: its arrival count is taken back, and the token is not counted for a minute. */
  verified(req: Request): void {
    const pending = (req as Tracked)[PENDING];
    if (!pending || pending.settled) return;
    pending.settled = true;
    if (pending.window !== null) this.others.takeBack(pending.address, pending.window);
    const token = bearer(req);
    if (token) this.recent.add(token, Date.now());
  }

  /**
   * A public route reached with an Authorization header: nobody verified it, so it is the tokenless request it
   * is, counted in its method's budget rather than (as on arrival) in the anonymous one.
   */
  unverified(req: Request): void {
    const pending = (req as Tracked)[PENDING];
    if (pending && !pending.settled) {
      pending.settled = true;
      if (pending.window !== null) this.others.takeBack(pending.address, pending.window);
    }
    this.spend(req);
  }

  /** Express middleware, installed by bootstrap ahead of everything that reads a request. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (PROBE.test(req.path)) return next();
    try {
      if (req.headers.authorization === undefined) this.spend(req);
      else this.arrive(req as Tracked, res);
    } catch (error) {
      const refusal = error as ProblemException;
      return sendProblem(res, refusal.problem, refusal.headers);
    }
    next();
  };

  private arrive(req: Tracked, res: Response): void {
    const address = clientAddress(req);
    const token = bearer(req);
    const known = token !== undefined && this.recent.has(token, Date.now());
    // Counted (and refused when over) before anyone verifies the token: an unknown route, a 401 or a refused
    // verification keeps the count; RateLimitGuard takes it back once the token is verified.
    const pending: Pending = { address, window: known ? null : this.spend(req, true), settled: false };
    req[PENDING] = pending;
    res.on('finish', () => {
      if (pending.settled) return;
      // Only AuthGuard answers 403, and only for a verified token (with the wrong role).
      if (res.statusCode === 403) return this.verified(req);
      pending.settled = true;
      if (known) this.others.add(address, Date.now());
    });
  }
}

/**
 * Per-subject limit on commands (every non-GET route), in fixed one-minute windows, answering 429
 * with Retry-After. Runs after AuthGuard, so the subject is the token's, never a header or address.
 * A public route reached with an Authorization header (which nobody verified) is counted against the
 * client address instead, as a request without a token would have been on arrival.
 *
 * Written here rather than with @nestjs/throttler: its 6.7.1 release is CommonJS and requires the ESM
 * @nestjs/common 12, which jest cannot load on Node 20 ("Must use import to load ES Module"), so the
 * guard could not be tested in-process.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly commands = new MinuteCounter();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly addresses: AddressRateLimit,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.caller) {
      // Otherwise a made-up header would take a public route (the dev login) out of the address's budget.
      if (request.headers.authorization !== undefined) this.addresses.unverified(request);
      return true;
    }
    this.addresses.verified(request);
    if (request.method === 'GET') return true;
    const { count, retryAfter } = this.commands.add(request.caller.sub, this.clock().getTime());
    if (count <= this.config.rateLimitPerMinute) return true;
    if (count === this.config.rateLimitPerMinute + 1)
      this.logger.warn(`429 subject ${request.caller.sub}: over ${this.config.rateLimitPerMinute} commands/min`);
    throw new ProblemException(
      429,
      'RATE_LIMITED',
      `more than ${this.config.rateLimitPerMinute} commands in a minute`,
      {},
      { 'Retry-After': String(retryAfter) },
    );
  }
}
