import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The one element `tag` of the page, by its text between the tags. */
function inline(html: string, tag: 'script' | 'style'): string {
  const found = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  expect(found).toHaveLength(1);
  return found[0][1];
}

describe('the dashboard page at / (the app created from source, its script bundled from client/)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is served without a token as HTML, with its own policy and the service-wide security headers', async () => {
    const res = await t.http().get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.text).toBe(DASHBOARD_HTML);
  });

  it('allows exactly its inline script and style, by their hashes, and nothing from elsewhere', async () => {
    const res = await t.http().get('/');
    const policy = new Map(
      res.headers['content-security-policy'].split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(policy.get('default-src')).toBe("'none'");
    expect(policy.get('script-src')).toBe(sha256(inline(res.text, 'script')));
    expect(policy.get('style-src')).toBe(sha256(inline(res.text, 'style')));
    expect(policy.get('connect-src')).toBe("'self'");
  });

  it('inlines the bundled script as plain JavaScript that a browser can compile', async () => {
    const script = inline((await t.http().get('/')).text, 'script');
    expect(() => new Script(script)).not.toThrow();
    expect(script).toContain('permit-ledger.dashboard.token');
    expect(script).not.toMatch(/\bimport\s*[{*]|\bexport\s*\{/);
  });
});
