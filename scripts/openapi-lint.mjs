#!/usr/bin/env node
// Lints the OpenAPI document the service serves with a standard linter (Redocly CLI, redocly.yaml's rules):
// `npm run build && node scripts/openapi-lint.mjs`. Builds the app from dist/ on a throwaway DATA_DIR,
// fetches /docs-json as a client would, writes it to a temp file and runs `redocly lint` on it.
// Exits non-zero on any error or warning.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => pathToFileURL(join(ROOT, 'dist', path)).href;

const dir = mkdtempSync(join(tmpdir(), 'permit-openapi-'));
let code;
try {
  const { loadConfig } = await import(dist('libs/config/src/index.js'));
  const { createApp } = await import(dist('apps/permit-service/src/bootstrap.js'));
  const config = loadConfig({
    DATA_DIR: join(dir, 'data'),
    AUTH_JWT_SECRET: 'openapi-lint-secret-of-thirty-two-bytes!',
    EXPIRY_SCHEDULER: 'off',
  });
  const app = await createApp(config, { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address();
    const res = await fetch(`http://127.0.0.1:${port}/docs-json`);
    if (res.status !== 200) throw new Error(`/docs-json answered ${res.status}`);
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(await res.json(), null, 2));
    const lint = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'), 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--max-problems', '500'],
      { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    );
    process.stdout.write(lint.stdout);
    process.stderr.write(lint.stderr);
    // Redocly exits 0 on warnings; a clean lint here means none of those either.
    const warned = /You have \d+ warnings?/.test(lint.stdout + lint.stderr);
    code = lint.status === 0 && !warned ? 0 : 1;
  } finally {
    await app.close();
  }
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
