import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { AuthGuard } from './auth/auth.guard.js';
import { DevTokenController } from './http/dev-token.controller.js';
import { AddressRateLimit, RateLimitGuard } from './auth/rate-limit.guard.js';
import { CommandRunner } from './commands/command-runner.js';
import { ProblemFilter } from './errors/problem.filter.js';
import { HealthController } from './health/health.controller.js';
import { BodyInterceptor } from './http/body.interceptor.js';
import { CommandContext } from './http/command-context.js';
import { HttpDrain } from './lifecycle/http-drain.js';
import { MinPositionInterceptor } from './http/min-position.interceptor.js';
import { TimeoutInterceptor } from './http/timeout.interceptor.js';
import { createValidationPipe } from './http/validation.js';
import { MetricsController } from './health/metrics.controller.js';
import { ReadinessChecks } from './health/readiness-checks.js';
import { Metrics } from './observability/metrics.js';
import { StoreModule } from './store/store.module.js';

const shared = [AddressRateLimit, HttpDrain, Metrics, CommandRunner, CommandContext, MinPositionInterceptor, ReadinessChecks];

/** What every slice uses and that imports no slice: the store and read models, config, clock, auth, errors, HTTP plumbing. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, clock: Clock): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        // The environment is read and validated once, by loadConfig (a bad variable is named and the
        // process exits 2 before Nest starts); ConfigService serves that validated object.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] }),
        CqrsModule.forRoot(),
        TerminusModule.forRoot({ logger: false }),
        StoreModule.forRoot(config, clock),
      ],
      controllers: [
        MetricsController,
        HealthController,
        // Not registered at all when off: the route then does not exist, rather than existing and refusing.
        ...(config.devLogin ? [DevTokenController] : []),
      ],
      providers: [
        // Guards run in this order: who is calling, then how often.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: TimeoutInterceptor },
        // Inside the timeout and after the guards: a body is read only for a routed, admitted request.
        { provide: APP_INTERCEPTOR, useClass: BodyInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // AddressRateLimit: one budget per client address, shared by bootstrap's middleware and RateLimitGuard.
        ...shared,
      ],
      exports: shared,
    };
  }
}
