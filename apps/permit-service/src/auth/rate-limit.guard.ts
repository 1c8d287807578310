import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { CLOCK, type Clock } from '../config/clock.js';
import { ProblemException } from '../http/problem.js';
import type { AuthenticatedRequest } from './auth.guard.js';

const WINDOW_MS = 60_000;

/**
 * Per-subject limit on commands (every non-GET route), in fixed one-minute windows, answering 429
 * with Retry-After. Runs after AuthGuard, so the subject is the token's, never a header or address.
 *
 * Written here rather than with @nestjs/throttler: its 6.7.1 release is CommonJS and requires the ESM
 * @nestjs/common 12, which jest cannot load on Node 20 ("Must use import to load ES Module"), so the
 * guard could not be tested in-process.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger('RateLimit');
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.method === 'GET' || !request.caller) return true;
    const now = this.clock().getTime();
    const start = now - (now % WINDOW_MS);
    if (this.windows.size > 10_000) this.prune(start);
    const window = this.windows.get(request.caller.sub);
    if (!window || window.start !== start) {
      this.windows.set(request.caller.sub, { start, count: 1 });
      return true;
    }
    window.count += 1;
    if (window.count <= this.config.rateLimitPerMinute) return true;
    const retryAfter = Math.ceil((start + WINDOW_MS - now) / 1000);
    if (window.count === this.config.rateLimitPerMinute + 1) this.logger.warn(`429 subject ${request.caller.sub}: over ${this.config.rateLimitPerMinute} commands/min`);
    throw new ProblemException(429, 'RATE_LIMITED', `more than ${this.config.rateLimitPerMinute} commands in a minute`, {}, { 'Retry-After': String(retryAfter) });
  }

  private prune(current: number): void {
    for (const [subject, window] of this.windows) if (window.start !== current) this.windows.delete(subject);
  }
}
