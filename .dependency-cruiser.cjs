// Dependency rules, run by `npm run lint:deps` in the test command. Paths are from the repository root.
const TEST_FILE = '(\\.(spec|int-spec|e2e-spec)\\.ts$)|(^test/)|(/testing/)';
/** Test support that never ships: the EventStoreDB test server, the store contract suite, testing/ folders, test tools. */
const TEST_SUPPORT = [
  '^libs/esdb-test-server/',
  '^libs/event-store/src/contract/',
  '/testing/',
  '^test/',
  '^node_modules/(@jest/globals|jest|supertest|fast-check|playwright-core|@nestjs/testing)/',
];
/** The HTTP edge of the service: controllers, request/response schemas, guards, interceptors, filters, bootstrap. */
const HTTP = [
  '\\.(controller|dto|interceptor|guard|filter|pipe)\\.ts$',
  '^apps/permit-service/src/platform/http/',
  '^apps/permit-service/src/bootstrap\\.ts$',
  '^node_modules/(express|@nestjs/swagger|@nestjs/platform-express|helmet)/',
];
const SLICES = '^apps/permit-service/src/(permits|destinations|decisions|ledger|feed|dashboard)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycles',
      comment: 'Folders that import each other in a circle cannot be understood (or moved) one at a time.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-only-itself',
      comment: 'The domain is plain TypeScript: no framework, no store client, no clock, no node modules.',
      severity: 'error',
      from: { path: '^libs/permits/src/', pathNot: TEST_FILE },
      to: { pathNot: '^libs/permits/src/' },
    },
    {
      name: 'cli-does-not-import-the-service',
      comment: 'What the CLI and the service share lives in a library (libs/config, libs/event-store, ...).',
      severity: 'error',
      from: { path: '^apps/permit-cli/' },
      to: { path: '^apps/permit-service/' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'production-does-not-import-test-support',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: [TEST_FILE, ...TEST_SUPPORT] },
      to: { path: TEST_SUPPORT },
    },
    {
      name: 'nothing-below-http-imports-http',
      comment: 'Handlers, runners, process managers, read models and libraries raise typed errors; HTTP maps them.',
      severity: 'error',
      from: {
        path: '^(apps|libs)/',
        pathNot: [TEST_FILE, ...HTTP, '^apps/permit-service/src/(main|app\\.module)\\.ts$', '\\.module\\.ts$'],
      },
      to: { path: HTTP },
    },
    {
      name: 'platform-imports-no-slice',
      comment: 'Every slice uses the platform; the platform knows no slice.',
      severity: 'error',
      from: { path: '^apps/permit-service/src/platform/', pathNot: TEST_FILE },
      to: { path: SLICES },
    },
  ],
  options: {
    // Specs and test support may reach across the tree; their own imports make no edges (they are still seen as
    // targets, so production code importing them is caught).
    doNotFollow: { path: ['node_modules', TEST_FILE, ...TEST_SUPPORT.filter((p) => !p.includes('node_modules'))] },
    exclude: { path: '^(dist|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
