import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { permitBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { ExpiryScheduler } from './expiry.scheduler.js';

describe('the expiry scheduler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'expiry-'));
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const clock = () => new Date('2021-07-01T08:00:00Z');

  it('records PermitExpired at expiresOn for due permits only, and a second run changes nothing', async () => {
    t = await startTestApp({ clock, dataDir: dir });
    const officer = await t.token('officer');
    const issue = (n: string, expiresOn: string) =>
      t!.http().post('/api/v1/permits').set('Authorization', `Bearer ${officer}`).send(permitBody(n, { expiresOn }));
    expect((await issue('EXP-19-000001', '2021-06-30')).status).toBe(201);
    expect((await issue('EXP-19-000002', '2021-07-01')).status).toBe(201);
    expect((await issue('EXP-19-000003', '2021-07-02')).status).toBe(201);

    const scheduler = t.app.get(ExpiryScheduler);
    expect(await scheduler.runOnce()).toBe(2);
    expect(await scheduler.runOnce()).toBe(0);

    const auditor = await t.token('auditor');
    const history = await t.http().get('/api/v1/permits/EXP-19-000001/history').set('Authorization', `Bearer ${auditor}`);
    expect(history.body.events.at(-1)).toMatchObject({
      type: 'PermitExpired',
      effectiveAt: '2021-06-30T00:00:00.000Z',
      actor: { id: 'expiry-scheduler', role: 'system' },
    });
    const statuses = await t.http().get('/api/v1/permits?status=EXPIRED').set('Authorization', `Bearer ${auditor}`);
    expect(statuses.body.items.map((r: { permitNumber: string }) => r.permitNumber)).toEqual(['EXP-19-000001', 'EXP-19-000002']);
  });

  it('runs at start: a permit that fell due while the service was down expires on boot', async () => {
    const later = () => new Date('2021-07-03T08:00:00Z');
    t = await startTestApp({ clock: later, dataDir: dir, env: { EXPIRY_SCHEDULER: 'on' } });
    const auditor = await t.token('auditor');
    let status = '';
    for (let i = 0; i < 50 && status !== 'EXPIRED'; i++) {
      const res = await t.http().get('/api/v1/permits/EXP-19-000003').set('Authorization', `Bearer ${auditor}`);
      status = res.body.status;
      if (status !== 'EXPIRED') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('EXPIRED');
  });
});
