import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runStory } from '@permit-ledger/story';
import { permitBody } from '../apps/permit-service/src/testing/bodies.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from '../apps/permit-service/src/dashboard/page.js';
import { freePort, Service, token } from './support/service.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = 'test-results/dashboard.png';
const README_SCREENSHOT = 'docs/dashboard.png';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard e2e skipped: ${CHROMIUM} is missing (Debian's chromium package; .ci/run installs it)`);

(haveChromium ? describe : describe.skip)('the dashboard page in headless Chromium, after the 2019-2021 story', () => {
  let dir: string;
  let service: Service;
  let browser: Browser;
  let page: Page;
  /** Console errors and uncaught exceptions of the page (a CSP refusal shows up here too). */
  const pageErrors: string[] = [];

  const messages = () => page.locator('#messages');
  const statusRow = (status: string) => page.locator(`#by-status tr[data-status="${status}"]`);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-dashboard-'));
    // The service is given a secret (AUTH_JWT_SECRET), so the dev login the page uses needs opting in.
    service = new Service(dir, await freePort(), { DEV_LOGIN: 'on' });
    await service.start();
    await runStory(service);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      locale: 'en-CA',
      timezoneId: 'UTC',
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000); // a missing element fails with its selector, well within jest's 30 s
    page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // A refused fetch (the viewer's 403 below) is logged by Chromium itself; the page shows it in its status region.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await service?.kill().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is served at / without a token, as HTML under its own content security policy', async () => {
    const res = await fetch(`${service.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(await res.text()).toBe(DASHBOARD_HTML);
  });

  it('loads, holds no token and asks for one', async () => {
    await page.goto(`${service.url}/`);
    await expect(page.title()).resolves.toBe('Permit ledger - dashboard');
    await page.getByText('Paste a bearer token or use the dev login').waitFor();
    expect(await page.getByLabel('Bearer token').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Dev login' }).isVisible()).toBe(true);
    expect(await page.locator('#content').isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it("with a pasted viewer token it shows the story's figures and TR's measures", async () => {
    await page.getByLabel('Bearer token').fill(await token('viewer'));
    await page.getByRole('button', { name: 'Use token' }).press('Enter');
    await statusRow('CANCELLED').waitFor();
    const cells = async (status: string) => (await statusRow(status).locator('th, td').allInnerTexts()).slice(0, 3);
    expect(await cells('CANCELLED')).toEqual(['CANCELLED', '5', '$11,600,000']);
    expect(await cells('EXPIRED')).toEqual(['EXPIRED', '1', '$2,000,000']);
    expect(await cells('ISSUED')).toEqual(['ISSUED', '1', '$3,400,000']);
    expect(await page.locator('#tile-permits').innerText()).toBe('7');
    expect(await page.locator('#by-destination tr[data-destination="TR"] td').nth(1).innerText()).toBe('7');
    // Per month: nine months with lifecycle events, 2020-10 the five suspensions, 2021-04 the five cancellations.
    expect(await page.locator('#per-month-body tr').count()).toBe(9);
    expect(await page.locator('#per-month-body tr', { hasText: '2020-10' }).locator('td').allTextContents()).toEqual([
      '0',
      '5',
      '0',
      '0',
      '0',
    ]);
    expect(await page.locator('#per-month-chart svg rect').count()).toBe(9);
    // TR: the 2019 halt, lifted by NtE 992; NtE 992's presumptive denial, lifted by NtE 1108.
    await page.locator('#measures tr[data-measure="TR-NTE-992"]').waitFor();
    const measures = await page
      .locator('#measures-body tr')
      .evaluateAll((rows) => rows.map((r) => Array.from(r.children as ArrayLike<{ textContent: string | null }>, (c) => c.textContent)));
    expect(measures.map((m) => [m[0], m[2], m[3], m[4]])).toEqual([
      ['Ministerial statement of 2019-10-11', '2019-10-11', '2020-04-16', 'NtE 992'],
      ['NtE 992', '2020-04-16', '2024-01-29', 'NtE 1108'],
    ]);
    expect(await page.locator('#in-force').innerText()).toBe('In force now: none');
    expect(await page.locator('#measures-chart svg rect').count()).toBe(2);
    expect(pageErrors).toEqual([]);
  });

  it('shows the annual report for a year and a destination as a table and a chart of the years up to it', async () => {
    await page.locator('#report-year').fill('2021');
    await page.locator('#report-destination').fill('tr');
    await page.getByRole('button', { name: 'Show report' }).click();
    const tr = page.locator('#report-body tr[data-destination="TR"]');
    await page.locator('#report-note', { hasText: '2021, TR' }).waitFor();
    const cells = await tr.locator('td').allTextContents();
    // Columns: received, approved, refused, withdrawn, on hold, issued, suspended, cancelled, expired, ...
    expect(cells[7]).toBe('5'); // the five cancellations of 2021-04-12
    expect(await page.locator('#report-destination').inputValue()).toBe('TR');
    // The chart's years are 2017-2021: 2020's five suspensions are among its bars.
    await page.locator('#report-chart svg rect[data-year="2020"][data-series="suspended"]').waitFor();
    expect(await page.locator('#report-chart svg rect[data-year="2020"][data-series="suspended"] title').textContent()).toBe(
      '2020: 5 suspended',
    );
    expect(pageErrors).toEqual([]);
  });

  it("a viewer may not read a permit's history: the 403 is shown, not swallowed", async () => {
    await page.getByLabel('Permit number').fill('EXP-19-004120');
    await page.getByLabel('Permit number').press('Enter');
    await messages()
      .getByText(/History of EXP-19-004120 .*403 FORBIDDEN/)
      .waitFor();
    expect(await page.locator('#history .badge').innerText()).toBe('CANCELLED'); // the status row is a viewer's to read
    // The live feed has the history's roles too: a viewer's page says so and falls back to polling.
    await messages()
      .getByText(/Live feed \(GET \/feed\): 403 FORBIDDEN/)
      .waitFor();
    expect(await page.locator('#live').getAttribute('data-state')).toBe('polling');
  });

  it('as an auditor through the dev login, EXP-19-004120 opens as its seven events in order: who, when, why', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Role').selectOption('auditor');
    await page.getByRole('button', { name: 'Dev login' }).click();
    await messages().getByText('Signed in with the dev login as dev-auditor (auditor).').waitFor();
    await statusRow('CANCELLED').waitFor();
    await page.getByLabel('Permit number').fill('EXP-19-004120');
    await page.getByRole('button', { name: 'Open history' }).click();
    await messages().getByText('History of EXP-19-004120: 7 events.').waitFor();

    const events = page.locator('#history ol.timeline > li');
    expect(await events.evaluateAll((items) => items.map((li) => li.getAttribute('data-type')))).toEqual([
      'PermitIssued',
      'ShipmentRecorded',
      'PermitSuspended',
      'PermitReviewOpened',
      'PermitReviewFindingRecorded',
      'PermitReviewConcluded',
      'PermitCancelled',
    ]);
    const facts = async (i: number) =>
      events
        .nth(i)
        .locator('dl > div')
        .evaluateAll((rows) =>
          Object.fromEntries(rows.map((r) => [r.querySelector('dt')!.textContent, r.querySelector('dd')!.textContent])),
        );
    expect(await facts(0)).toMatchObject({ 'In the world': '2019-03-20', Who: 'e2e-officer (officer)' });
    expect(await facts(2)).toMatchObject({
      'In the world': '2020-10-05',
      Who: 'e2e-minister (minister)',
      'Executed by': 'decision-process-manager',
      Why: 'Suspension of relevant permits to Turkey pending review',
      'Legal basis': 'EIPA s.10(1)',
      Decision: 'MIN-2020-10-05',
    });
    expect((await facts(4)).What).toMatch(/^Canadian-made sensors identified on a drone used in Nagorno-Karabakh/);
    expect(await facts(6)).toMatchObject({
      'In the world': '2021-04-12 12:00 UTC',
      Why: 'Goods used in Nagorno-Karabakh, inconsistent with Turkey end-use assurances',
      Decision: 'MIN-2021-04-12',
    });
    expect((await facts(6)).Recorded).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await page.locator('#live[data-state="connected"]').waitFor();
    expect(pageErrors).toEqual([]);

    mkdirSync('test-results', { recursive: true });
    mkdirSync('docs', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The README's copy is refreshed on demand (UPDATE_SCREENSHOT=1), so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOT) copyFileSync(SCREENSHOT, README_SCREENSHOT);
  });

  it('updates live from the feed: a permit issued elsewhere shows up without a reload', async () => {
    const answer = await service.call(
      'POST',
      '/permits',
      'officer',
      permitBody('EXP-24-000912', {
        destination: 'DE',
        consignee: { name: 'Rheinland Optik GmbH', country: 'DE' },
        endUser: { name: 'Rheinland Optik GmbH', country: 'DE' },
        validFrom: '2024-06-03',
        expiresOn: '2027-06-02',
        effectiveAt: '2024-06-03',
      }),
    );
    expect(answer.status).toBe(201);
    await page.locator('#by-destination tr[data-destination="DE"]').waitFor({ timeout: 10_000 });
    expect((await statusRow('ISSUED').locator('td').allInnerTexts())[0]).toBe('2');
    expect(await page.locator('#tile-permits').innerText()).toBe('8');
    // The newest entries: the permit, and perhaps the ledger's checkpoint of it, signed within a second.
    const recent = await page.locator('#recent li').allInnerTexts();
    expect(recent.slice(0, 2).some((entry) => /^Permit issued EXP-24-000912/.test(entry))).toBe(true);
    await messages()
      .getByText(/Updated after 1 new event \(last: PermitIssued\)/)
      .waitFor();
    expect(pageErrors).toEqual([]);
  });
});
