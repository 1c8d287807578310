import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_STORE, openEventStore, type EventStore } from '@permit-ledger/event-store';
import {
  allProjections,
  CHECKPOINT_STORE,
  ConsumerRegistry,
  DestinationQueries,
  HistoryQueries,
  openReadModelDb,
  PermitStatusQueries,
  Projections,
  SqliteCheckpointStore,
  StatsQueries,
  type ReadModelDb,
} from '@permit-ledger/projections';
import type { AppConfig, Clock } from '@permit-ledger/config';
import { APP_CONFIG, READ_MODEL_DB, STORE_TELEMETRY, CLOCK } from './tokens.js';

/** Starts the projectors once the app is up; stops them and closes both databases on shutdown. */
@Injectable()
class LedgerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly projections: Projections,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODEL_DB) private readonly db: ReadModelDb,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.projections.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.projections.stop();
    await this.store.close();
    this.db.close();
  }
}

const queryProvider = <T>(type: new (db: ReadModelDb) => T) => ({
  provide: type,
  useFactory: (db: ReadModelDb) => new type(db),
  inject: [READ_MODEL_DB],
});

/**
 * The store of record — the embedded events.sqlite under DATA_DIR, or EventStoreDB when
 * EVENTSTORE_CONNECTION_STRING is set — and the read models, always local in DATA_DIR/read-models.sqlite.
 */
@Global()
@Module({})
export class StoreModule {
  static forRoot(config: AppConfig, clock: Clock): DynamicModule {
    mkdirSync(config.dataDir, { recursive: true });
    const telemetry = new EventEmitter();
    return {
      module: StoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: STORE_TELEMETRY, useValue: telemetry },
        {
          provide: EVENT_STORE,
          useFactory: async (): Promise<EventStore> =>
            (
              await openEventStore({
                connectionString: config.eventStoreConnectionString,
                dataDir: config.dataDir,
                clock,
                retries: config.eventStoreRetries,
                onCommit: (appends, seconds) => telemetry.emit('commit', appends, seconds),
              })
            ).store,
        },
        { provide: READ_MODEL_DB, useFactory: () => openReadModelDb(join(config.dataDir, 'read-models.sqlite')) },
        { provide: CHECKPOINT_STORE, useFactory: (db: ReadModelDb) => new SqliteCheckpointStore(db), inject: [READ_MODEL_DB] },
        {
          provide: Projections,
          useFactory: (store: EventStore, db: ReadModelDb) =>
            // Lag is counted at least one past HEALTH_MAX_LAG, so readiness is decided on an exact count.
            new Projections(store, db, allProjections(), { lagCountLimit: Math.max(10_000, config.healthMaxLag + 1) }),
          inject: [EVENT_STORE, READ_MODEL_DB],
        },
        {
          // Every consumer of the log reports here; the projectors first, as soon as there is a registry.
          provide: ConsumerRegistry,
          useFactory: (store: EventStore, projections: Projections) => {
            const registry = new ConsumerRegistry(store);
            for (const projector of projections.projectors) {
              registry.register({ kind: 'projector', indicator: `projector:${projector.name}`, subscription: projector });
            }
            return registry;
          },
          inject: [EVENT_STORE, Projections],
        },
        queryProvider(PermitStatusQueries),
        queryProvider(HistoryQueries),
        queryProvider(DestinationQueries),
        queryProvider(StatsQueries),
        LedgerLifecycle,
      ],
      exports: [
        APP_CONFIG,
        CLOCK,
        STORE_TELEMETRY,
        EVENT_STORE,
        READ_MODEL_DB,
        CHECKPOINT_STORE,
        Projections,
        ConsumerRegistry,
        PermitStatusQueries,
        HistoryQueries,
        DestinationQueries,
        StatsQueries,
      ],
    };
  }
}
