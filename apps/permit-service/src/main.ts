import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from '@permit-ledger/config';
import { createLogger, PinoNestLogger } from './platform/observability/logging.js';
import { LedgerDivergedError } from './ledger/ledger-writer.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`permit-service: bad configuration: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await createApp(config, { logger: new PinoNestLogger(logger), requestLogger: logger });
  await app.listen(config.port);
  const log = new Logger('permit-service');
  log.log(`listening on ${await app.getUrl()} (data in ${config.dataDir})`);
  // Graceful stop: stop taking requests, finish those in flight, flush pending commits, write
  // checkpoints and the final anchor, close the store (the shutdown hooks), then exit 0.
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.log(`${signal}: shutting down`);
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error(`shutdown failed: ${String(error)}`);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  // A ledger that is not the log's is an operator's matter: the message says what to run, a stack would bury it.
  console.error(
    `permit-service: cannot start: ${error instanceof LedgerDivergedError ? error.message : error instanceof Error ? error.stack : String(error)}`,
  );
  process.exit(1);
});
