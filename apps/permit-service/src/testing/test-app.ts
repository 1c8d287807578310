import type { INestApplication, LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
type App = Parameters<typeof request>[0];
import { signToken, type Role, loadConfig, type AppConfig, type Clock } from '@permit-ledger/config';
import { createApp } from '../bootstrap.js';

export const TEST_SECRET = 'test-secret-of-at-least-thirty-two-bytes!';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  http: () => ReturnType<typeof request>;
  token(role: Role | Role[], sub?: string): Promise<string>;
  close(): Promise<void>;
}

/** The real HTTP app on a real SQLite file in a temp DATA_DIR (int-spec tier). */
export async function startTestApp(
  options: {
    clock?: Clock;
    env?: Record<string, string | undefined>;
    dataDir?: string;
    logger?: LoggerService;
    requestLogger?: Logger;
  } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'permit-ledger-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    AUTH_JWT_SECRET: TEST_SECRET,
    EXPIRY_SCHEDULER: 'off',
    MIN_POSITION_WAIT_MS: '3000',
    // The ledger's checkpoints are the ledger writer's own appends: a spec that counts what a request wrote
    // must not meet one. Specs of the checkpoints sign them (LedgerWriter.checkpointNow) or set this.
    LEDGER_CHECKPOINT_SECONDS: '86400',
    ...options.env,
  });
  const app = await createApp(config, { clock: options.clock, logger: options.logger ?? false, requestLogger: options.requestLogger });
  const server = app.getHttpServer() as App;
  return {
    app,
    config,
    http: () => request(server),
    token: (role, sub = `test-${Array.isArray(role) ? role[0] : role}`) =>
      signToken({ sub, roles: Array.isArray(role) ? role : [role] }, TEST_SECRET),
    async close() {
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
