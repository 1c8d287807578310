import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SignJWT } from 'jose';
import { STORY_FINAL_STATUS, STORY_PERMITS, storySteps } from '@permit-ledger/testing';

const MAIN = resolve('dist/apps/permit-service/src/main.js');
const SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e';

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

const token = (role: string) =>
  new SignJWT({ roles: [role] }).setProtectedHeader({ alg: 'HS256' }).setSubject(`e2e-${role}`).setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

/** The built service as a separate process, on the embedded store in `dataDir`. */
class Service {
  private child?: ChildProcess;
  output = '';
  constructor(readonly dataDir: string, readonly port: number) {}

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: String(this.port), DATA_DIR: this.dataDir, AUTH_JWT_SECRET: SECRET, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.child.stderr!.on('data', (b: Buffer) => (this.output += b.toString()));
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`service exited: ${this.output}`);
      const ready = await fetch(`${this.url}/health/ready`).then((r) => r.status, () => 0);
      if (ready === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service not ready in 20 s: ${this.output}`);
  }

  async kill(): Promise<void> {
    const child = this.child!;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async call(method: string, path: string, role: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token(role)}`, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }
}

describe('the 2019-2021 story against the built service, across a SIGKILL', () => {
  let dir: string;
  let service: Service;
  const acknowledged: Array<{ permitNumber?: string; eventIds: string[] }> = [];
  let lastPosition = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'permit-ledger-e2e-'));
    service = new Service(dir, await freePort());
    await service.start();
  });
  afterAll(async () => {
    await service.kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function readModels() {
    const h = { 'X-Min-Position': String(lastPosition) };
    const permits = await service.call('GET', '/permits?limit=500', 'viewer', undefined, h);
    const stats = await service.call('GET', '/stats', 'viewer', undefined, h);
    const destination = await service.call('GET', '/destinations/TR', 'viewer', undefined, h);
    const histories: Record<string, unknown> = {};
    for (const p of STORY_PERMITS) histories[p.permitNumber] = (await service.call('GET', `/permits/${p.permitNumber}/history`, 'auditor', undefined, h)).body;
    return { permits: permits.body, stats: stats.body, destination: destination.body, histories };
  }

  it('loads the story in effective-time order, refusals included', async () => {
    for (const step of storySteps()) {
      const res = await service.call(step.method, step.path, step.role, step.body);
      expect({ step: step.label, status: res.status }).toEqual({ step: step.label, status: step.expectStatus });
      if (res.status < 300) {
        acknowledged.push({ permitNumber: res.body.permitNumber, eventIds: res.body.events.map((e: { eventId: string }) => e.eventId) });
        lastPosition = Math.max(lastPosition, res.body.position);
      }
    }
    const { permits } = await readModels();
    const statuses = Object.fromEntries(permits.items.map((r: { permitNumber: string; status: string }) => [r.permitNumber, r.status]));
    expect(statuses).toEqual(STORY_FINAL_STATUS);
  });

  it('tells what stood for EXP-19-004120 on 2020-10-04, 2020-10-06 and 2021-04-13', async () => {
    const at = async (date: string) => (await service.call('GET', `/permits/EXP-19-004120/state?asOf=${date}`, 'auditor')).body.status;
    expect([await at('2020-10-04'), await at('2020-10-06'), await at('2021-04-13')]).toEqual(['ISSUED', 'SUSPENDED', 'CANCELLED']);
    const history = await service.call('GET', '/permits/EXP-19-004120/history', 'auditor');
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'PermitIssued', 'PermitSuspended', 'PermitReviewOpened', 'PermitReviewFindingRecorded', 'PermitReviewConcluded', 'PermitCancelled',
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
    const cli = spawnSync(process.execPath, [resolve('dist/apps/permit-cli/src/main.js'), 'rebuild'], {
      env: { ...process.env, DATA_DIR: dir, AUTH_JWT_SECRET: SECRET },
      encoding: 'utf8',
    });
    expect(cli.status).toBe(0);
    expect(cli.stderr).toMatch(/rebuilt 4 read models over \d+ events/);
    await service.start();
    expect(await readModels()).toEqual(live);
  });
});
