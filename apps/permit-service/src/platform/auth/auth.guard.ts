import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { type AppConfig, type Role, InvalidTokenError, TokenVerifier, type Caller } from '@permit-ledger/config';
import { APP_CONFIG } from '../store/tokens.js';
import { ProblemException } from '../errors/problem.js';
import { metadataKeys } from './roles.js';
import type { Actor } from '@permit-ledger/event-store';

export interface AuthenticatedRequest extends Request {
  caller?: Caller;
  actor?: Actor;
}

/** Global guard: every route needs a valid bearer token and one of the route's roles, unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');
  private readonly tokens: TokenVerifier;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.tokens = new TokenVerifier({
      secret: config.jwtSecret ?? undefined,
      publicKeyPem: config.jwtPublicKey ?? undefined,
      jwksUrl: config.jwksUrl ?? undefined,
      jwksCooldownMs: config.jwksCooldownMs,
      issuer: config.jwtIssuer ?? undefined,
      audience: config.jwtAudience ?? undefined,
      clockSkewSeconds: config.clockSkewSeconds,
      maxLifetimeSeconds: config.maxTokenLifetimeSeconds,
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(metadataKeys.public, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const route = `${request.method} ${request.route?.path ?? request.path}`;

    const header = request.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header);
    if (!match) {
      this.logger.warn(`401 ${route}: no bearer token`);
      throw new ProblemException(401, 'UNAUTHENTICATED', 'A bearer token is required');
    }
    let caller: Caller;
    try {
      caller = await this.tokens.verify(match[1]);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      this.logger.warn(`401 ${route}: ${error.reason}`);
      throw new ProblemException(401, 'UNAUTHENTICATED', error.reason);
    }

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(metadataKeys.roles, targets);
    // A route without @Roles is a programming error: refuse rather than open it to every caller.
    const role = allowed?.find((r) => caller.roles.includes(r));
    if (!role) {
      this.logger.warn(`403 ${route}: subject ${caller.sub} with roles [${caller.roles.join(',')}]`);
      throw new ProblemException(403, 'FORBIDDEN', `This route needs one of the roles: ${(allowed ?? []).join(', ')}`);
    }
    request.caller = caller;
    request.actor = { id: caller.sub, role };
    return true;
  }
}
