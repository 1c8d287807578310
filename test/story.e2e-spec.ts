import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStory, STORY_FINAL_STATUS, STORY_PERMITS } from '@permit-ledger/story';
import { freePort, runCli, Service } from './support/service.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../apps/permit-service/src/testing/stores.js';

describe.each(STORE_KINDS)('the 2019-2021 story against the built service on %s, across a SIGKILL', (kind) => {
  let provided: ProvidedStore;
  let dir: string;
  let service: Service;
  const acknowledged: Array<{ permitNumber?: string; eventIds: string[] }> = [];
  let lastPosition = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-e2e-'));
    provided = await provideStore(kind);
    service = new Service(dir, await freePort(), provided.env);
    await service.start();
  });
  afterAll(async () => {
    await service.kill().catch(() => undefined);
    await provided.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readModels() {
    const h = { 'X-Min-Position': String(lastPosition) };
    const permits = await service.call('GET', '/permits?limit=500', 'viewer', undefined, h);
    const stats = await service.call('GET', '/stats', 'viewer', undefined, h);
    const destination = await service.call('GET', '/destinations/TR', 'viewer', undefined, h);
    const histories: Record<string, unknown> = {};
    for (const p of STORY_PERMITS)
      histories[p.permitNumber] = (await service.call('GET', `/permits/${p.permitNumber}/history`, 'auditor', undefined, h)).body;
    return { permits: permits.body, stats: stats.body, destination: destination.body, histories };
  }

  it('loads the story in effective-time order, refusals included', async () => {
    const steps = await runStory(service);
    for (const { answer } of steps) {
      if (answer.status < 300 && answer.body.events) {
        acknowledged.push({
          permitNumber: answer.body.permitNumber,
          eventIds: answer.body.events.map((e: { eventId: string }) => e.eventId),
        });
      }
      if (answer.status < 300) lastPosition = Math.max(lastPosition, answer.body.position);
    }
    expect(steps.filter((s) => s.answer.status === 409).map((s) => s.step.label)).toEqual([
      'issue EXP-19-009001 on 2019-12-01',
      'issue EXP-20-005181 on 2020-05-14',
      'a cancelled permit is never reinstated',
    ]);
    const { permits } = await readModels();
    const statuses = Object.fromEntries(permits.items.map((r: { permitNumber: string; status: string }) => [r.permitNumber, r.status]));
    expect(statuses).toEqual(STORY_FINAL_STATUS);
  });

  it('tells what stood for EXP-19-004120 on 2020-10-04, 2020-10-06 and 2021-04-13', async () => {
    const at = async (date: string) => (await service.call('GET', `/permits/EXP-19-004120/state?asOf=${date}`, 'auditor')).body.status;
    expect([await at('2020-10-04'), await at('2020-10-06'), await at('2021-04-13')]).toEqual(['ISSUED', 'SUSPENDED', 'CANCELLED']);
    const history = await service.call('GET', '/permits/EXP-19-004120/history', 'auditor');
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'PermitIssued',
      'PermitSuspended',
      'PermitReviewOpened',
      'PermitReviewFindingRecorded',
      'PermitReviewConcluded',
      'PermitCancelled',
    ]);
  });

  it('after SIGKILL and restart: every acknowledged command is there and the read models are the same', async () => {
    const before = await readModels();
    await service.kill();
    await service.start();
    const after = await readModels();
    expect(after).toEqual(before);
    for (const p of STORY_PERMITS) {
      const verify = await service.call('GET', `/permits/${p.permitNumber}/verify`, 'auditor');
      expect(verify.body).toMatchObject({ valid: true });
    }
    const stored = new Set(
      Object.values(after.histories).flatMap((h) => (h as { events: Array<{ eventId: string }> }).events.map((e) => e.eventId)),
    );
    const permitEvents = acknowledged.filter((a) => a.permitNumber).flatMap((a) => a.eventIds);
    expect(permitEvents.filter((id) => !stored.has(id))).toEqual([]);
    expect(after.destination.history).toHaveLength(4);
  });

  it('permit-cli rebuild (service stopped) replays the read models from the log to the same answers', async () => {
    const live = await readModels();
    await service.kill();
    const cli = await runCli(['rebuild'], service.env());
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/rebuilt 4 read models over \d+ events/);
    await service.start();
    expect(await readModels()).toEqual(live);
  });
});
