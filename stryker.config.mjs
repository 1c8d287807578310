// Mutation testing (`npm run mutation`, not part of `npm test`: it takes minutes). One area at a time,
// MUTATION=domain|integrity|projections, each mutated under its own fast specs only.
const areas = {
  // The deciders and every rule they apply.
  domain: {
    mutate: ['libs/permits/src/**/*.ts', '!libs/permits/src/**/*spec.ts', '!libs/permits/src/testing/**', '!libs/permits/src/index.ts'],
    root: 'libs/permits',
    specs: 'libs/permits/src/.*\\.spec\\.ts$',
  },
  // What an auditor relies on: hashing, canonical JSON, the ledger verifier, the Merkle tree and its proofs, notes and checkpoints.
  integrity: {
    mutate: [
      'libs/event-store/src/integrity/integrity.ts',
      'libs/event-store/src/ledger/*.ts',
      'libs/event-store/src/transparency/*.ts',
      '!libs/event-store/src/**/*spec.ts',
      '!libs/event-store/src/**/index.ts',
    ],
    root: 'libs/event-store/src',
    specs: 'libs/event-store/src/(integrity|ledger|transparency)/[^/]*\\.spec\\.ts$',
  },
  // The read models: projections and their queries.
  projections: {
    mutate: [
      'libs/projections/src/*/*.projection.ts',
      'libs/projections/src/*/*.queries.ts',
      'libs/projections/src/projector.ts',
      'libs/projections/src/read-model/*.ts',
      'libs/projections/src/ledger-tree/*.ts',
      '!libs/projections/src/**/*spec.ts',
    ],
    root: 'libs/projections',
    specs: 'libs/projections/src/.*\\.spec\\.ts$',
    // Their module-level (static) code is the answer schemas: OpenAPI text that the contract suite checks against
    // the served document, not these specs; each static mutant would rerun every spec. Left out of this area.
    ignoreStatic: true,
  },
};
const area = process.env.MUTATION ?? 'domain';
// The property specs take smaller samples (still catching what their full size catches): they run once per mutant.
process.env.MUTATION_QUICK ??= '1';
const chosen = areas[area];
if (!chosen) throw new Error(`MUTATION must be one of ${Object.keys(areas).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // jest in ESM mode, as in `npm test`.
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  coverageAnalysis: 'perTest',
  mutate: chosen.mutate,
  ignoreStatic: chosen.ignoreStatic ?? false,
  // Not copied into the sandbox: other runs' sandboxes, reports, builds, the bench peer's packages. Anchored at the
  // top (gitignore syntax): a bare 'reports' also left out libs/projections/src/reports.
  ignorePatterns: ['/.stryker-tmp', '/reports', '/dist', '/test-results', '/bench/peer/node_modules', '/coverage'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // The area's fast specs only, without the dashboard bundle the e2e tier needs; jest looks for them under the
    // area's folder alone (it walks its roots on every run, once per mutant).
    config: {
      roots: [`<rootDir>/${chosen.root}`],
      testRegex: chosen.specs,
      globalSetup: null,
      // Stryker resolves it from the sandbox's root itself, without jest's <rootDir>.
      testEnvironment: './scripts/mutation-environment.mjs',
    },
    enableFindRelatedTests: false,
  },
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${area}/mutation.html` },
  jsonReporter: { fileName: `reports/mutation/${area}/mutation.json` },
  tempDirName: `.stryker-tmp/${area}`,
  // A rerun tests again only the mutants whose code or specs changed since the last run of the area.
  incremental: true,
  incrementalFile: `reports/mutation/${area}/incremental.json`,
  concurrency: 2,
  // Node 20.20 never frees the ES modules jest evaluates in its vm contexts: each run's modules stay in the runner
  // process, which grows and slows with every mutant. A fresh runner every 10 mutants.
  maxTestRunnerReuse: 10,
  timeoutMS: 10000,
  thresholds: { high: 95, low: 85, break: null },
};
