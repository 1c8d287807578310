// Jest in ESM mode: Nest 12 packages are pure ESM and jest's CommonJS mode cannot load them on Node 20.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  // The e2e tier starts dist/ as a process: npm test builds before running jest.
  testRegex: '\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
          target: 'es2023',
        },
        module: { type: 'es6' },
      },
    ],
  },
  // The dashboard page imports its bundled browser script; under jest it is bundled from source first.
  globalSetup: '<rootDir>/scripts/jest-global-setup.mjs',
  moduleNameMapper: {
    '^\\./client\\.bundle\\.js$': '<rootDir>/node_modules/.cache/permit-ledger/client.bundle.mjs',
    '^@permit-ledger/permits$': '<rootDir>/libs/permits/src/index.ts',
    '^@permit-ledger/event-store$': '<rootDir>/libs/event-store/src/index.ts',
    '^@permit-ledger/projections$': '<rootDir>/libs/projections/src/index.ts',
    '^@permit-ledger/story$': '<rootDir>/libs/story/src/index.ts',
    '^@permit-ledger/config$': '<rootDir>/libs/config/src/index.ts',
    '^@permit-ledger/esdb-test-server$': '<rootDir>/libs/esdb-test-server/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 30000,
  // A suite that fails in its setup can leave a server or a client open; CI must still end.
  forceExit: true,
};
