import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type IConfiguration } from 'dependency-cruiser';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;

/**
 * The repository's dependency rules, run on a small tree laid out like this one in which each file breaks one
 * rule: every rule must report its own file (a rule that matches nothing would pass on any tree).
 */
const TREE: Record<string, string> = {
  // Allowed: a slice using the platform, a handler using the domain.
  'apps/permit-service/src/permits/permit.handler.ts':
    "import { run } from '../platform/commands/runner.js';\nimport { decide } from '../../../../libs/permits/src/permit.js';\nexport const handle = () => run(decide);\n",
  'apps/permit-service/src/platform/commands/runner.ts': 'export const run = (f: () => void) => f();\n',
  'libs/permits/src/permit.ts': 'export const decide = () => undefined;\n',
  // domain-imports-only-itself
  'libs/permits/src/framework.ts': "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n",
  'libs/permits/src/clock.ts': "import { randomUUID } from 'node:crypto';\nexport const id = randomUUID;\n",
  // cli-does-not-import-the-service
  'apps/permit-cli/src/main.ts': "import { run } from '../../permit-service/src/platform/commands/runner.js';\nexport const main = run;\n",
  // libs-do-not-import-apps
  'libs/projections/src/projector.ts':
    "import { run } from '../../../apps/permit-service/src/platform/commands/runner.js';\nexport const p = run;\n",
  // production-does-not-import-test-support (a lib and a package)
  'apps/permit-service/src/permits/uses-test-server.ts':
    "import { start } from '../../../../libs/esdb-test-server/src/index.js';\nexport const s = start;\n",
  'libs/esdb-test-server/src/index.ts': 'export const start = () => undefined;\n',
  'apps/permit-service/src/permits/uses-jest.ts': "import { expect } from '@jest/globals';\nexport const e = expect;\n",
  // nothing-below-http-imports-http (a controller, and express)
  'apps/permit-service/src/permits/permit.scheduler.ts': "import { C } from './permit.controller.js';\nexport const s = C;\n",
  'apps/permit-service/src/permits/permit.controller.ts': 'export class C {}\n',
  'apps/permit-service/src/decisions/manager.ts': "import type { Request } from 'express';\nexport type R = Request;\n",
  // platform-imports-no-slice
  'apps/permit-service/src/platform/auth/guard.ts': "import { handle } from '../../permits/permit.handler.js';\nexport const g = handle;\n",
  // no-folder-cycles and no-module-cycles
  'apps/permit-service/src/ledger/a.ts': "import { b } from '../feed/b.js';\nexport const a = () => b;\n",
  'apps/permit-service/src/feed/b.ts': "import { a } from '../ledger/a.js';\nexport const b = () => a;\n",
  // Specs may reach anywhere: not a violation.
  'apps/permit-service/src/permits/permit.int-spec.ts':
    "import { start } from '../../../../libs/esdb-test-server/src/index.js';\nexport const t = start;\n",
};

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  let dir: string;
  let violations: Array<{ rule: string; from: string; to: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-deps-'));
    for (const [path, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }),
    );
    // The packages the tree names, as stand-ins: the rules look at where an import resolves, not at what it holds.
    for (const name of ['@nestjs/common', '@jest/globals', 'express']) {
      const pkg = join(dir, 'node_modules', name);
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, main: 'index.js', types: 'index.d.ts' }));
      writeFileSync(join(pkg, 'index.js'), 'module.exports = {};\n');
      writeFileSync(
        join(pkg, 'index.d.ts'),
        'export declare const Injectable: unknown, expect: unknown;\nexport type Request = unknown;\n',
      );
    }
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const result = await cruise(['apps', 'libs'], {
        ...config.options,
        ruleSet: { forbidden: config.forbidden },
        validate: true,
        tsConfig: undefined,
      });
      const output = result.output as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
      violations = output.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const from = (rule: string) => violations.filter((v) => v.rule === rule).map((v) => v.from);

  it('keeps the domain to itself: no framework, no node module', () => {
    expect(from('domain-imports-only-itself').sort()).toEqual(['libs/permits/src/clock.ts', 'libs/permits/src/framework.ts']);
  });

  it('keeps the CLI out of the service and the libraries out of the apps', () => {
    expect(from('cli-does-not-import-the-service')).toEqual(['apps/permit-cli/src/main.ts']);
    expect(from('libs-do-not-import-apps')).toEqual(['libs/projections/src/projector.ts']);
  });

  it('keeps test support (a test library, a test tool) out of production code, and lets specs use it', () => {
    expect(from('production-does-not-import-test-support').sort()).toEqual([
      'apps/permit-service/src/permits/uses-jest.ts',
      'apps/permit-service/src/permits/uses-test-server.ts',
    ]);
  });

  it('keeps HTTP (a controller, express) out of what runs below it', () => {
    expect(from('nothing-below-http-imports-http').sort()).toEqual([
      'apps/permit-service/src/decisions/manager.ts',
      'apps/permit-service/src/permits/permit.scheduler.ts',
    ]);
  });

  it('keeps the platform from importing a slice', () => {
    expect(from('platform-imports-no-slice')).toEqual(['apps/permit-service/src/platform/auth/guard.ts']);
  });

  it('refuses folders and modules that import each other in a circle', () => {
    expect(violations.filter((v) => v.rule === 'no-folder-cycles').length).toBeGreaterThan(0);
    // One violation a cycle, from whichever of its modules the cruise reached first.
    expect(from('no-module-cycles')).toHaveLength(1);
    expect(['apps/permit-service/src/feed/b.ts', 'apps/permit-service/src/ledger/a.ts']).toContain(from('no-module-cycles')[0]);
  });

  it('finds nothing else: the allowed imports stay allowed', () => {
    const named = new Set([
      'domain-imports-only-itself',
      'cli-does-not-import-the-service',
      'libs-do-not-import-apps',
      'production-does-not-import-test-support',
      'nothing-below-http-imports-http',
      'platform-imports-no-slice',
      'no-folder-cycles',
      'no-module-cycles',
    ]);
    expect(violations.filter((v) => !named.has(v.rule))).toEqual([]);
    expect(violations.map((v) => v.from)).not.toContain('apps/permit-service/src/permits/permit.handler.ts');
    expect(violations.map((v) => v.from)).not.toContain('apps/permit-service/src/permits/permit.int-spec.ts');
  });
});
