import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isIPv6 } from 'node:net';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CLOCK, type Clock } from '../config/clock.js';
import { sendProblem } from '../http/problem.filter.js';
import { ProblemException } from '../http/problem.js';
import type { AuthenticatedRequest } from './auth.guard.js';

const WINDOW_MS = 60_000;

/** Counts in fixed one-minute windows, per key; all counts start again at the next window. */
class MinuteCounter {
  private start = 0;
  private readonly counts = new Map<string, number>();

  /** Adds one to `key`'s count and answers the count, and the seconds until its window ends. */
  add(key: string, now: number): { count: number; retryAfter: number } {
    const start = now - (now % WINDOW_MS);
    if (start !== this.start) {
      // Windows are aligned: every count of an earlier one is over.
      this.counts.clear();
      this.start = start;
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return { count, retryAfter: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
  }
}

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
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const clientAddress = (req: Request) => addressKey(req.ip ?? req.socket.remoteAddress);

/** Liveness and readiness probes: never limited, an orchestrator must always reach them. */
const PROBE = /^\/health\/(live|ready)\/?$/;

/**
 * Per client address limit on requests that carry no valid token, in one-minute windows, answering 429
 * RATE_LIMITED with Retry-After. Its middleware runs first (ahead of routing and of any body reading):
 *   - GET / HEAD / OPTIONS without a token (the public reads: the OpenAPI document and UI, the ledger's public
 *     key, metrics, the dashboard page; and unauthenticated reads, which are refused 401): PUBLIC_RATE_LIMIT_PER_MINUTE;
 *   - every other request without a token (the dev login, commands and unknown routes without one) and every
 *     request whose token is refused (401, counted when answered): ANONYMOUS_RATE_LIMIT_PER_MINUTE;
 *   - the probes /health/live and /health/ready: never limited.
 * A request that carries a token is not refused on arrival (its address may be shared with a noisy
 * neighbour): verified, its subject is limited by RateLimitGuard; refused, it has cost no more than this check
 * would, and it is counted; on a public route, RateLimitGuard counts it as the tokenless request it is.
 * The address is the socket's, or with TRUST_PROXY the client's as the trusted proxies report it.
 */
@Injectable()
export class AddressRateLimit {
  private readonly logger = new Logger('RateLimit');
  private readonly reads = new MinuteCounter();
  private readonly others = new MinuteCounter();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Counts one request without a verified token against its address; throws 429 when that is over its budget. */
  spend(req: Request): void {
    const read = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    const [counter, limit, what] = read
      ? [this.reads, this.config.publicRateLimitPerMinute, 'reads without a token']
      : [this.others, this.config.anonymousRateLimitPerMinute, 'requests without a valid token'];
    const address = clientAddress(req);
    const { count, retryAfter } = counter.add(address, Date.now());
    if (count <= limit) return;
    if (count === limit + 1) this.logger.warn(`429 address ${address}: over ${limit} ${what}/min`);
    throw new ProblemException(429, 'RATE_LIMITED', `more than ${limit} ${what} in a minute from this address`, {}, { 'Retry-After': String(retryAfter) });
  }

  /** Express middleware, installed by bootstrap ahead of everything that reads a request. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (PROBE.test(req.path)) return next();
    if (req.headers.authorization !== undefined) {
      // Refused tokens and tokenless writes share one budget: once refused tokens have spent it, tokenless writes are refused.
      res.on('finish', () => {
        if (res.statusCode === 401) this.others.add(clientAddress(req), Date.now());
      });
      return next();
    }
    try {
      this.spend(req);
    } catch (error) {
      const refusal = error as ProblemException;
      return sendProblem(res, refusal.problem, refusal.headers);
    }
    next();
  };
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
      if (request.headers.authorization !== undefined) this.addresses.spend(request);
      return true;
    }
    if (request.method === 'GET') return true;
    const { count, retryAfter } = this.commands.add(request.caller.sub, this.clock().getTime());
    if (count <= this.config.rateLimitPerMinute) return true;
    if (count === this.config.rateLimitPerMinute + 1) this.logger.warn(`429 subject ${request.caller.sub}: over ${this.config.rateLimitPerMinute} commands/min`);
    throw new ProblemException(429, 'RATE_LIMITED', `more than ${this.config.rateLimitPerMinute} commands in a minute`, {}, { 'Retry-After': String(retryAfter) });
  }
}
