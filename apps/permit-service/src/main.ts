import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger, PinoNestLogger } from './observability/logging.js';

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
  new Logger('permit-service').log(`listening on ${await app.getUrl()} (data in ${config.dataDir})`);
}

void main();
