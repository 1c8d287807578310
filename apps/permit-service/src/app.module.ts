import { Module, type DynamicModule } from '@nestjs/common';
import { systemClock, type AppConfig, type Clock } from '@permit-ledger/config';
import { ApplicationsModule } from './applications/applications.module.js';
import { CustomsModule } from './customs/customs.module.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DecisionsModule } from './decisions/decisions.module.js';
import { DestinationsModule } from './destinations/destinations.module.js';
import { FeedModule } from './feed/feed.module.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { PermitsModule } from './permits/permits.module.js';
import { PlatformModule } from './platform/platform.module.js';
import { ReportsModule } from './reports/reports.module.js';

/** The platform, then one module per part of the domain. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(config, clock),
        PermitsModule,
        DestinationsModule,
        ApplicationsModule,
        DecisionsModule,
        LedgerModule,
        FeedModule,
        ReportsModule,
        DashboardModule,
        CustomsModule,
      ],
    };
  }
}
