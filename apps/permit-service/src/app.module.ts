import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { AuthGuard } from './auth/auth.guard.js';
import { AddressRateLimit, RateLimitGuard } from './auth/rate-limit.guard.js';
import { TimeoutInterceptor } from './http/timeout.interceptor.js';
import { BodyInterceptor } from './http/body.interceptor.js';
import { CommandRunner } from './commands/command-runner.js';
import { DestinationCommandHandler, PermitCommandHandler } from './commands/permit-commands.js';
import type { AppConfig } from './config/config.js';
import { systemClock, type Clock } from './config/clock.js';
import { HealthController } from './health/health.controller.js';
import { CommandContext } from './http/command-context.js';
import { DestinationsController } from './http/destinations.controller.js';
import { DecisionsController } from './http/decisions.controller.js';
import { LedgerController } from './http/ledger.controller.js';
import { FeedController } from './feed/feed.controller.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { Metrics, MetricsController } from './observability/metrics.js';
import { DevTokenController } from './auth/dev-token.controller.js';
import { AnchorWriter } from './ledger/anchor-writer.js';
import { LedgerKeys } from './ledger/ledger-keys.js';
import { DecisionCommandHandler } from './decisions/decision-commands.js';
import { CarryOutDecisionHandler, DecisionProcessManager } from './decisions/decision-process-manager.js';
import { TargetResolver } from './decisions/target-resolver.js';
import { MinPositionInterceptor } from './http/min-position.interceptor.js';
import { PermitCommandsController } from './http/permit-commands.controller.js';
import { PermitQueriesController } from './http/permit-queries.controller.js';
import { ProblemFilter } from './http/problem.filter.js';
import { createValidationPipe } from './http/validation.js';
import { LedgerModule } from './infrastructure/ledger.module.js';
import { HttpDrain } from './infrastructure/http-drain.js';
import { queryHandlers } from './queries/query-handlers.js';
import { ExpiryScheduler } from './scheduler/expiry.scheduler.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The environment is read and validated once, by loadConfig (a bad variable is named and the
        // process exits 2 before Nest starts); ConfigService serves that validated object.
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] }),
        CqrsModule.forRoot(), TerminusModule.forRoot({ logger: false }), LedgerModule.forRoot(config, clock)],
      controllers: [PermitCommandsController, PermitQueriesController, DestinationsController, DecisionsController, LedgerController, FeedController, MetricsController, HealthController, DashboardController,
        // Not registered at all when off: the route then does not exist, rather than existing and refusing.
        ...(config.devLogin ? [DevTokenController] : [])],
      providers: [
        // Guards run in this order: who is calling, then how often.
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_INTERCEPTOR, useClass: TimeoutInterceptor },
        // Inside the timeout and after the guards: a body is read only for a routed, admitted request.
        { provide: APP_INTERCEPTOR, useClass: BodyInterceptor },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // One budget per client address, shared by bootstrap's middleware and RateLimitGuard.
        AddressRateLimit,
        HttpDrain,
        Metrics,
        CommandRunner,
        CommandContext,
        MinPositionInterceptor,
        PermitCommandHandler,
        DestinationCommandHandler,
        ...queryHandlers,
        ExpiryScheduler,
        DecisionCommandHandler,
        CarryOutDecisionHandler,
        DecisionProcessManager,
        TargetResolver,
        LedgerKeys,
        AnchorWriter,
      ],
    };
  }
}
