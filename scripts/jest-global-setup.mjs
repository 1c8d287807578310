// Jest's global setup. The app created from source imports the dashboard's bundled script like the built
// service does: jest.config.js maps the page's `./client.bundle.js` to the module written here, bundled from
// the client sources of this checkout (no build of dist/ needed).
import { resolve } from 'node:path';
import { ROOT, writeDashboardBundle } from './build-dashboard.mjs';

export const JEST_BUNDLE = resolve(ROOT, 'node_modules/.cache/permit-ledger/client.bundle.mjs');

export default async function globalSetup() {
  await writeDashboardBundle(JEST_BUNDLE);
}
