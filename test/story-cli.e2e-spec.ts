/**
 * `permit-cli story` against the built service as a process (dist/ must be built): the whole 2019-2021 story with its
 * applications, shipments and reports, told through the public API by the CLI an operator runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORY_APPLICATION_STATUS, STORY_FINAL_STATUS } from '@permit-ledger/story';
import { freePort, runCli, Service } from './support/service.js';

describe('permit-cli story', () => {
  let dir: string;
  let service: Service;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-story-cli-'));
    service = new Service(join(dir, 'data'), await freePort());
    await service.start();
  }, 60_000);

  afterAll(async () => {
    await service?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the story and prints the permits, the applications and the TR report year by year', async () => {
    const run = await runCli(['story', '--url', service.url], service.env());
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const row = (first: string) => lines.find((l) => l.startsWith(`${first} `))?.split(/\s{2,}/) ?? [];
    for (const [permitNumber, status] of Object.entries(STORY_FINAL_STATUS)) expect(row(permitNumber)[1]).toBe(status);
    for (const [applicationRef, status] of Object.entries(STORY_APPLICATION_STATUS)) expect(row(applicationRef)[1]).toBe(status);
    // 2020: one application approved, one refused, one withdrawn, one still held; five suspensions. 2021: five cancellations.
    expect(row('2020').slice(1, 8)).toEqual(['0', '1', '1', '1', '1', '2', '5']);
    expect(row('2021')[8]).toBe('5');
    // What the CLI printed is what the service holds.
    const refused = await service.call('GET', '/applications/APP-19-0458', 'viewer');
    expect(refused.body).toMatchObject({ status: 'REFUSED', criteria: ['PEACE_AND_SECURITY', 'SUBSTANTIAL_RISK'] });
  }, 120_000);
});
