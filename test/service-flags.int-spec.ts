import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The heap bounds the service runs with, as scripts/service-flags.mjs lists them. */
const flags = JSON.parse(/SERVICE_NODE_FLAGS = (\[[^\]]*\])/.exec(read('scripts/service-flags.mjs'))![1].replace(/'/g, '"')) as string[];

describe('the node flags the service runs with are the same wherever it is started', () => {
  it('bounds the heap', () => {
    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });

  it('npm run start:prod passes them', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:prod']).toBe(`node ${flags.join(' ')} dist/apps/permit-service/src/main.js`);
  });

  it("the image's command passes them", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))![1];
    expect(JSON.parse(cmd)).toEqual(['node', ...flags, 'dist/apps/permit-service/src/main.js']);
  });
});
