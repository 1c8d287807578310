import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runStory,
  STORY_APPLICATION_STATUS,
  STORY_APPLICATIONS,
  STORY_FINAL_STATUS,
  STORY_PERMITS,
  STORY_REFUSAL_CRITERIA,
} from '@permit-ledger/story';
import { freePort, runCli, Service } from './support/service.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../apps/permit-service/src/testing/stores.js';

describe.each(STORE_KINDS)('the 2019-2021 story against the built service on %s, across a SIGKILL', (kind) => {
  let provided: ProvidedStore;
  let dir: string;
  let service: Service;
  const acknowledged: Array<{ permitNumber?: string; eventIds: string[] }> = [];
  let lastPosition = 0;
  let storyAnswers: Awaited<ReturnType<typeof runStory>> = [];

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
    const applications = await service.call('GET', '/applications?destination=TR', 'viewer', undefined, h);
    const reports = [];
    for (const year of [2019, 2020, 2021])
      reports.push((await service.call('GET', `/reports/exports?year=${year}&destination=TR`, 'viewer', undefined, h)).body);
    return { permits: permits.body, stats: stats.body, destination: destination.body, histories, applications: applications.body, reports };
  }

  it('loads the story in effective-time order, refusals included', async () => {
    const steps = await runStory(service);
    storyAnswers = steps;
    for (const { answer } of steps) {
      if (answer.status < 300 && answer.body.events) {
        acknowledged.push({
          permitNumber: answer.body.permitNumber,
          eventIds: answer.body.events.map((e: { eventId: string }) => e.eventId),
        });
      }
      if (answer.status < 300 && answer.body.permit) {
        const { permitNumber, events } = answer.body.permit as { permitNumber: string; events: Array<{ eventId: string }> };
        acknowledged.push({ permitNumber, eventIds: events.map((e) => e.eventId) });
      }
      if (answer.status < 300) lastPosition = Math.max(lastPosition, answer.body.position, answer.body.permit?.position ?? 0);
    }
    expect(steps.filter((s) => s.answer.status === 409).map((s) => s.step.label)).toEqual([
      'issue EXP-19-009001 on 2019-12-01',
      'issue EXP-20-005181 on 2020-05-14',
      'shipment CBSA-20-1020-4120 under EXP-19-004120 exported on 2020-10-20',
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
      'ShipmentRecorded',
      'PermitSuspended',
      'PermitReviewOpened',
      'PermitReviewFindingRecorded',
      'PermitReviewConcluded',
      'PermitCancelled',
    ]);
  });

  it('the applications held by the 2019 halt: one withdrawn, one refused citing criteria, one approved into EXP-20-005181', async () => {
    const list = await service.call('GET', '/applications?destination=TR', 'viewer');
    const rows = list.body.items as Array<{ applicationRef: string; status: string; criteria: string[]; permitNumber: string | null }>;
    expect(Object.fromEntries(rows.map((r) => [r.applicationRef, r.status]))).toEqual(STORY_APPLICATION_STATUS);
    const row = (ref: string) => rows.find((r) => r.applicationRef === ref)!;
    expect(row('APP-19-0458').criteria).toEqual(STORY_REFUSAL_CRITERIA);
    expect(row('APP-19-0466').permitNumber).toBe('EXP-20-005181');

    // Held by the halt, then by NtE 992 from the same instant (no release between), released only when NtE 992 went.
    const held = await service.call('GET', '/applications/APP-19-0412/history', 'auditor');
    expect(held.body.events.map((e: { type: string; data: { measureId?: string } }) => [e.type, e.data.measureId ?? null])).toEqual([
      ['ApplicationSubmitted', null],
      ['ApplicationPlacedOnHold', 'TR-2019-HALT'],
      ['ApplicationPlacedOnHold', 'TR-NTE-992'],
      ['ApplicationReleasedFromHold', 'TR-NTE-992'],
    ]);
    const at = async (ref: string, date: string) =>
      (await service.call('GET', `/applications/${ref}/state?asOf=${date}`, 'auditor')).body.status;
    expect([await at('APP-19-0412', '2020-04-17'), await at('APP-19-0412', '2021-12-31')]).toEqual(['ON_HOLD', 'ON_HOLD']);
    expect([await at('APP-19-0466', '2020-04-15'), await at('APP-19-0466', '2020-04-17')]).toEqual(['ON_HOLD', 'SUBMITTED']);

    const issued = await service.call('GET', '/permits/EXP-20-005181/history', 'auditor');
    expect(issued.body.events[0]).toMatchObject({
      type: 'PermitIssued',
      data: { applicationRef: 'APP-19-0466', exceptionGround: 'nato_cooperation' },
    });
    expect(issued.body.events.map((e: { type: string }) => e.type)).toContain('PermitCancelled');
    expect(STORY_APPLICATIONS).toHaveLength(rows.length);
  });

  it('customs declarations: accepted while the permits stood, refused for an export after the suspension', async () => {
    const refused = storyAnswers.find((s) => s.step.label.startsWith('shipment CBSA-20-1020-4120'))!;
    expect(refused.answer.body).toMatchObject({ code: 'PERMIT_NOT_VALID_FOR_EXPORT', statusOnExportDate: 'SUSPENDED' });
    const status = async (n: string) => (await service.call('GET', `/permits/${n}`, 'viewer')).body;
    expect((await status('EXP-19-004120')).usage).toEqual([
      { item: 0, quantityShipped: 2, valueShippedCad: 1_400_000, quantityRemaining: 4, valueRemainingCad: 2_800_000 },
    ]);
    expect((await status('EXP-19-002770')).usage).toEqual([
      { item: 0, quantityShipped: 2, valueShippedCad: 550_000, quantityRemaining: 2, valueRemainingCad: 550_000 },
    ]);
  });

  it('the annual reports for Turkey: 2020 and 2021', async () => {
    const report = async (year: number) =>
      (await service.call('GET', `/reports/exports?year=${year}&destination=TR`, 'viewer')).body.entries;
    const zeros = { PEACE_AND_SECURITY: 0, SUBSTANTIAL_RISK: 0 };
    expect(await report(2020)).toEqual([
      expect.objectContaining({
        year: 2020,
        destination: 'TR',
        applications: { received: 0, approved: 1, refused: 1, withdrawn: 1, onHold: 1 },
        refusalsByCriterion: expect.objectContaining({ ...zeros, PEACE_AND_SECURITY: 1, SUBSTANTIAL_RISK: 1, IHL_VIOLATION: 0 }),
        permits: { issued: 2, suspended: 5, cancelled: 0, expired: 1, exhausted: 0 },
        valueAuthorizedCad: 5_900_000,
        permitsUtilized: 2,
        valueExportedCad: 1_675_000,
      }),
    ]);
    expect(await report(2021)).toEqual([
      expect.objectContaining({
        year: 2021,
        destination: 'TR',
        applications: { received: 0, approved: 0, refused: 0, withdrawn: 0, onHold: 1 },
        refusalsByCriterion: expect.objectContaining(zeros),
        permits: { issued: 0, suspended: 0, cancelled: 5, expired: 0, exhausted: 0 },
        valueAuthorizedCad: 0,
        permitsUtilized: 0,
        valueExportedCad: 0,
      }),
    ]);
    expect((await report(2019))[0]).toMatchObject({ applications: { received: 4, onHold: 4 }, valueExportedCad: 275_000 });
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
    expect(cli.stderr).toMatch(/rebuilt 6 read models over \d+ events/);
    await service.start();
    expect(await readModels()).toEqual(live);
  });
});
