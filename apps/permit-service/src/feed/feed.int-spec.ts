import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';

interface Frame {
  id: string;
  event: string;
  data: { type: string; position: number; stream: string };
}

/** Reads SSE frames from a fetch body until `count` events arrived, then aborts. */
async function readFrames(url: string, token: string, count: number, headers: Record<string, string> = {}): Promise<Frame[]> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, ...headers }, signal: abort.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = '';
  const timer = setTimeout(() => abort.abort(), 5000);
  try {
    while (frames.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':') && l.includes(': '))
            .map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)]),
        );
        if (fields.data) frames.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return frames;
}

describe('the live feed of committed events (SSE)', () => {
  let t: TestApp;
  let base: string;
  let auditor: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${((t.app.getHttpServer() as Server).address() as { port: number }).port}/api/v1`;
    auditor = await t.token('auditor');
    const officer = await t.token('officer');
    const minister = await t.token('minister');
    for (const n of ['EXP-19-000001', 'EXP-19-000002']) {
      await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody(n));
      await t.http().post(`/api/v1/permits/${n}/suspend`).set('Authorization', `Bearer ${minister}`).send(suspendBody());
    }
  });
  afterAll(() => t.close());

  it('streams events from a position, in log order, with the position as the event id', async () => {
    const frames = await readFrames(`${base}/feed?from=0`, auditor, 4);
    expect(frames.map((f) => f.event)).toEqual(['PermitIssued', 'PermitSuspended', 'PermitIssued', 'PermitSuspended']);
    expect(frames.map((f) => Number(f.id))).toEqual(frames.map((f) => f.data.position));
  });

  it('resumes after Last-Event-ID, and delivers events appended while it is open', async () => {
    const reading = readFrames(`${base}/feed`, auditor, 2, { 'Last-Event-ID': '3' });
    await new Promise((r) => setTimeout(r, 200));
    const officer = await t.token('officer');
    await t.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody('EXP-19-000003'));
    const frames = await reading;
    expect(frames.map((f) => [Number(f.id), f.event])).toEqual([
      [4, 'PermitSuspended'],
      [5, 'PermitIssued'],
    ]);
  });

  it('needs a token and a role that may read histories', async () => {
    expect((await fetch(`${base}/feed`)).status).toBe(401);
    expect((await fetch(`${base}/feed`, { headers: { Authorization: `Bearer ${await t.token('viewer')}` } })).status).toBe(403);
    expect((await fetch(`${base}/feed`, { headers: { Authorization: `Bearer ${auditor}`, 'Last-Event-ID': 'x' } })).status).toBe(400);
  });
});
