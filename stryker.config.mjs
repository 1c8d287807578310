// Mutation testing (`npm run mutation`, not part of `npm test`: it takes minutes). One area at a time,
// MUTATION=domain|integrity|projections, each mutated under its own fast specs only.
const areas = {
  // The deciders and every rule they apply.
  domain: {
    mutate: ['libs/permits/src/**/*.ts', '!libs/permits/src/**/*.spec.ts', '!libs/permits/src/testing/**', '!libs/permits/src/index.ts'],
    specs: 'libs/permits/src/.*\\.spec\\.ts$',
  },
  // What an auditor relies on: hashing, canonical JSON, the ledger verifier, the Merkle tree and its proofs, notes and checkpoints.
  integrity: {
    mutate: [
      'libs/event-store/src/integrity/integrity.ts',
      'libs/event-store/src/ledger/*.ts',
      'libs/event-store/src/transparency/*.ts',
      '!libs/event-store/src/**/*.spec.ts',
      '!libs/event-store/src/**/index.ts',
    ],
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
    ],
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
  // Not copied into the sandbox: other runs' sandboxes, reports, builds, the bench peer's packages.
  ignorePatterns: ['.stryker-tmp', 'reports', 'dist', 'test-results', 'bench/peer/node_modules', 'coverage'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // The area's fast specs only, without the dashboard bundle the e2e tier needs.
    config: { testRegex: chosen.specs, globalSetup: null },
    enableFindRelatedTests: false,
  },
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: `reports/mutation/${area}/mutation.html` },
  jsonReporter: { fileName: `reports/mutation/${area}/mutation.json` },
  tempDirName: `.stryker-tmp/${area}`,
  concurrency: 2,
  timeoutMS: 10000,
  thresholds: { high: 95, low: 85, break: null },
};
