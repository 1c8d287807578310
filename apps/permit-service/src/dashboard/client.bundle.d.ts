/**
 * The dashboard's browser code (./client, TypeScript) bundled into one script by scripts/build-dashboard.mjs:
 * `npm run build` writes this module into dist/ next to page.js; under jest, the global setup writes it and
 * jest.config.js maps this import to it.
 */
export declare const DASHBOARD_SCRIPT: string;
