import { Global, Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EsdbEventStore, EVENT_STORE, SqliteEventStore, UnsupportedServerError, type EventStore } from '@permit-ledger/event-store';
import { allProjections, DestinationQueries, HistoryQueries, openReadModelDb, PermitStatusQueries, Projections, StatsQueries, type ReadModelDb } from '@permit-ledger/projections';
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

/** A server too old to be supported stops the start; one that cannot be reached yet is only reported by health. */
async function openEsdb(connectionString: string, clock: Clock, transportRetries: number): Promise<EventStore> {
  const store = EsdbEventStore.open({ connectionString, clock, transportRetries });
  await store.checkServer().catch((error: unknown) => {
    if (error instanceof UnsupportedServerError) throw error;
  });
  return store;
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
            config.eventStoreConnectionString
              ? openEsdb(config.eventStoreConnectionString, clock, config.eventStoreRetries)
              : SqliteEventStore.open({
                  file: join(config.dataDir, 'events.sqlite'),
                  clock,
                  onCommit: (appends, seconds) => telemetry.emit('commit', appends, seconds),
                }),
        },
        { provide: READ_MODEL_DB, useFactory: () => openReadModelDb(join(config.dataDir, 'read-models.sqlite')) },
        {
          provide: Projections,
          useFactory: (store: EventStore, db: ReadModelDb) => new Projections(store, db, allProjections()),
          inject: [EVENT_STORE, READ_MODEL_DB],
        },
        queryProvider(PermitStatusQueries),
        queryProvider(HistoryQueries),
        queryProvider(DestinationQueries),
        queryProvider(StatsQueries),
        LedgerLifecycle,
      ],
      exports: [APP_CONFIG, CLOCK, STORE_TELEMETRY, EVENT_STORE, READ_MODEL_DB, Projections, PermitStatusQueries, HistoryQueries, DestinationQueries, StatsQueries],
    };
  }
}
