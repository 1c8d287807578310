/**
 * Customs notifications against a real receiver on loopback (node:http, checking the signature as the border
 * agency would), down for a while in every way a receiver goes down, then back; on both stores.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@permit-ledger/event-store';
import { permitBody, suspendBody } from '../testing/bodies.js';
import { startTestApp, type TestApp } from '../testing/test-app.js';
import { provideStore, STORE_KINDS, type ProvidedStore } from '../testing/stores.js';
import { CUSTOMS_OUTBOX_STREAM, CustomsOutbox, type CustomsNotified } from './customs-outbox.js';
import { CustomsNotifier } from './customs-notifier.js';
import { SIGNATURE_HEADER, verifyNotification } from './signature.js';

const SECRET = 'customs-webhook-secret-of-32-bytes-or-more';

type Mode = 'ok' | 'error' | 'hang';

/** The border agency's side: verifies each request, answers as told, and keeps what it accepted (by event id). */
class Receiver {
  mode: Mode = 'ok';
  /** Every request that reached it, accepted or not. */
  requests = 0;
  refusedSignatures = 0;
  /** Event ids in the order first accepted, with the time of that 2xx; duplicates only counted. */
  accepted: Array<{ id: string; permitNumber: string; type: string; at: number }> = [];
  duplicates = 0;
  /** Requests accepted per event id. */
  readonly deliveries = new Map<string, number>();
  private server: Server | null = null;
  port = 0;

  constructor(private readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/customs/notifications`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Connections are refused until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.requests++;
    if (this.mode === 'hang') return; // never answers: the sender's timeout
    if (this.mode === 'error') {
      res.writeHead(500).end('down for maintenance');
      return;
    }
    const check = verifyNotification(
      this.secret,
      body,
      req.headers[SIGNATURE_HEADER.toLowerCase()] as string,
      Math.floor(Date.now() / 1000),
    );
    if (!check.ok) {
      this.refusedSignatures++;
      res.writeHead(401).end(check.reason);
      return;
    }
    const parsed = JSON.parse(body) as { notificationId: string; permitNumber: string; eventType: string; event: { eventId: string } };
    expect(req.headers['idempotency-key']).toBe(parsed.notificationId);
    expect(parsed.event.eventId).toBe(parsed.notificationId);
    this.deliveries.set(parsed.notificationId, (this.deliveries.get(parsed.notificationId) ?? 0) + 1);
    if (this.accepted.some((a) => a.id === parsed.notificationId)) this.duplicates++;
    else this.accepted.push({ id: parsed.notificationId, permitNumber: parsed.permitNumber, type: parsed.eventType, at: Date.now() });
    res.writeHead(204).end();
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const outbox = async (store: EventStore) => store.readStream(CUSTOMS_OUTBOX_STREAM);
const notifiedOf = (events: RecordedEvent[]) =>
  events.filter((e) => e.type === 'CustomsNotified').map((e) => e.data as unknown as CustomsNotified);

describe.each(STORE_KINDS)('customs notifications on %s', (kind) => {
  let provided: ProvidedStore;
  const apps: TestApp[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    provided = await provideStore(kind);
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await Promise.all(receivers.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await provided.close();
  });

  async function start(receiver: Receiver, env: Record<string, string> = {}): Promise<TestApp> {
    const t = await startTestApp({
      env: {
        ...provided.env,
        CUSTOMS_WEBHOOK_URL: receiver.url,
        CUSTOMS_WEBHOOK_SECRET: SECRET,
        CUSTOMS_WEBHOOK_TIMEOUT_MS: '300',
        CUSTOMS_WEBHOOK_MAX_BACKOFF_MS: '80',
        ...env,
      },
    });
    apps.push(t);
    return t;
  }

  async function receiverWith(secret = SECRET): Promise<Receiver> {
    const r = new Receiver(secret);
    receivers.push(r);
    await r.start();
    return r;
  }

  const post = async (t: TestApp, path: string, role: 'officer' | 'minister', body: object) => {
    const res = await t
      .http()
      .post(`/api/v1${path}`)
      .set('Authorization', `Bearer ${await t.token(role)}`)
      .send(body);
    expect(res.status).toBeLessThan(300);
    return res.body as { events: Array<{ eventId: string }> };
  };

  const customsHealth = async (t: TestApp) => {
    const res = await t.http().get('/health/ready');
    return {
      status: res.status,
      customs: res.body.details.customs as { status: string; backlog: number; oldestAgeSeconds: number | null; lastError: string | null },
    };
  };

  it('given the receiver down (500, timing out, refusing connections) then back, every notification is delivered, in order per permit, and recorded with its time', async () => {
    const receiver = await receiverWith();
    receiver.mode = 'error';
    const t = await start(receiver);
    const store = t.app.get<EventStore>(EVENT_STORE);
    const p = kind === 'sqlite' ? 'EXP-19-1' : 'EXP-19-2';
    const issuedA = await post(t, '/permits', 'officer', permitBody(`${p}00001`));
    const issuedB = await post(t, '/permits', 'officer', permitBody(`${p}00002`));
    const suspended = await post(t, `/permits/${p}00001/suspend`, 'minister', suspendBody('2020-10-05'));
    const reinstated = await post(t, `/permits/${p}00001/reinstate`, 'minister', suspendBody('2021-01-05'));
    const expected = [issuedA, issuedB, suspended, reinstated].map((r) => r.events[0].eventId);

    // Down: the backlog is visible, and the service stays ready.
    await until(async () => (await customsHealth(t)).customs.backlog === 4 && receiver.requests >= 4, 'the backlog while down');
    const down = await customsHealth(t);
    expect(down.status).toBe(200);
    expect(down.customs).toMatchObject({ status: 'up', backlog: 4, lastError: 'HTTP 500' });
    expect(down.customs.oldestAgeSeconds).toEqual(expect.any(Number));
    const metrics = (await t.http().get('/metrics')).text;
    expect(metrics).toMatch(/^permit_ledger_customs_backlog 4$/m);
    expect(metrics).toMatch(/^permit_ledger_customs_backlog_oldest_seconds \d+$/m);
    expect(metrics).toMatch(/^permit_ledger_customs_attempts_total\{outcome="failed"\} [1-9]/m);

    // Timing out, then refusing connections.
    receiver.mode = 'hang';
    const hung = receiver.requests;
    await until(() => receiver.requests > hung + 1, 'requests timing out');
    await receiver.stop();
    await until(async () => /ECONNREFUSED|fetch failed/.test((await customsHealth(t)).customs.lastError ?? ''), 'connections refused');
    expect(receiver.accepted).toEqual([]);
    expect(notifiedOf(await outbox(store))).toEqual([]);

    // Back.
    receiver.mode = 'ok';
    await receiver.start();
    await until(async () => (await customsHealth(t)).customs.backlog === 0, 'the backlog to drain');
    await t.app.get(CustomsNotifier).settled();

    // Once per event id at the receiver (any duplicate is recognised by its id), in log order per permit.
    expect(receiver.accepted.map((a) => a.id).sort()).toEqual([...expected].sort());
    const order = (permitNumber: string) => receiver.accepted.filter((a) => a.permitNumber === permitNumber).map((a) => a.type);
    expect(order(`${p}00001`)).toEqual(['PermitIssued', 'PermitSuspended', 'PermitReinstated']);
    expect(order(`${p}00002`)).toEqual(['PermitIssued']);

    // On record: one CustomsNotified per event, at the time the 2xx came; the failed attempts too.
    const recorded = await outbox(store);
    const notified = notifiedOf(recorded);
    expect(notified.map((n) => n.eventId).sort()).toEqual([...expected].sort());
    for (const n of notified) {
      const at = receiver.accepted.find((a) => a.id === n.eventId)!.at;
      expect(Date.parse(n.deliveredAt)).toBeGreaterThanOrEqual(at - 1000);
      // The head of each permit's queue was tried through the outage; what queued behind it waited its turn.
      expect(n.attempts).toBeGreaterThanOrEqual(n.eventId === expected[0] || n.eventId === expected[1] ? 2 : 1);
      const source = (await store.readStream(`permit-${n.permitNumber}`)).find((e) => e.eventId === n.eventId)!;
      expect(n).toMatchObject({ eventType: source.type, position: source.position, hash: source.hash });
    }
    const failures = recorded.filter((e) => e.type === 'CustomsNotificationFailed').map((e) => e.data);
    expect(failures).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: expected[0], attempts: 1, error: 'HTTP 500' })]));
    // Recorded failures double their spacing: attempts 1, 2, 4, 8 …
    for (const f of failures) expect(Math.log2(f.attempts as number) % 1).toBe(0);
    expect((await customsHealth(t)).customs).toMatchObject({ backlog: 0, lastError: null });
  });

  it('given a receiver holding another secret, it refuses every notification and none is recorded as notified', async () => {
    const receiver = await receiverWith('another-secret-also-of-32-bytes-or-more');
    const t = await start(receiver);
    const store = t.app.get<EventStore>(EVENT_STORE);
    const p = kind === 'sqlite' ? 'EXP-19-300001' : 'EXP-19-400001';
    await post(t, '/permits', 'officer', permitBody(p));
    await until(() => receiver.refusedSignatures >= 2, 'refusals');
    expect(receiver.accepted).toEqual([]);
    // The suite's earlier events (one EventStoreDB server) were notified before: only this permit's is refused.
    const recorded = (await outbox(store)).filter((e) => e.data.permitNumber === p);
    expect(notifiedOf(recorded)).toEqual([]);
    expect(recorded.map((e) => e.data)).toEqual(expect.arrayContaining([expect.objectContaining({ permitNumber: p, error: 'HTTP 401' })]));
    await until(async () => (await customsHealth(t)).customs.backlog === 1, 'the backlog of the one refused event');
    expect((await customsHealth(t)).customs).toMatchObject({ status: 'up', backlog: 1, lastError: 'HTTP 401' });
  });

  it('given a restart while the receiver hangs, the undelivered event is delivered by the next run and recorded once', async () => {
    const receiver = await receiverWith();
    receiver.mode = 'hang';
    const first = await start(receiver);
    const p = kind === 'sqlite' ? 'EXP-19-500001' : 'EXP-19-600001';
    const issued = await post(first, '/permits', 'officer', permitBody(p));
    await until(() => receiver.requests >= 1, 'the first attempt');
    const dataDir = first.config.dataDir;
    // Stopped mid-delivery: the checkpoint stands before the event.
    await first.app.close();
    apps.splice(apps.indexOf(first), 1);
    receiver.mode = 'ok';
    const second = await startTestApp({
      dataDir,
      env: { ...provided.env, CUSTOMS_WEBHOOK_URL: receiver.url, CUSTOMS_WEBHOOK_SECRET: SECRET, CUSTOMS_WEBHOOK_MAX_BACKOFF_MS: '80' },
    });
    apps.push(second);
    await until(() => receiver.accepted.some((a) => a.id === issued.events[0].eventId), 'the redelivery');
    await second.app.get(CustomsNotifier).settled();
    const store = second.app.get<EventStore>(EVENT_STORE);
    expect(notifiedOf(await outbox(store)).filter((n) => n.eventId === issued.events[0].eventId)).toHaveLength(1);
  });

  (kind === 'esdb' ? it : it.skip)(
    'given two replicas notifying from one EventStoreDB, each notification is recorded once and not every one is delivered twice',
    async () => {
      const receiver = await receiverWith();
      const a = await start(receiver);
      const b = await start(receiver);
      const store = a.app.get<EventStore>(EVENT_STORE);
      // Both start out delivering; the first notification tells the slower one another replica is at work.
      const first = (await post(a, '/permits', 'officer', permitBody('EXP-19-900000'))).events[0].eventId;
      await until(() => receiver.accepted.some((x) => x.id === first), 'the first notification');
      await Promise.all([a.app.get(CustomsNotifier).settled(), b.app.get(CustomsNotifier).settled()]);
      const numbers = [1, 2, 3, 4, 5, 6].map((i) => `EXP-19-90000${i}`);
      const ids: string[] = [];
      for (const n of numbers) ids.push((await post(a, '/permits', 'officer', permitBody(n))).events[0].eventId);
      await until(() => ids.every((id) => receiver.accepted.some((x) => x.id === id)), 'every notification');
      await Promise.all([a.app.get(CustomsNotifier).settled(), b.app.get(CustomsNotifier).settled()]);
      const notified = notifiedOf(await outbox(store)).filter((n) => ids.includes(n.eventId) || n.eventId === first);
      expect(notified.map((n) => n.eventId).sort()).toEqual([...ids, first].sort());
      expect([a, b].map((t) => t.app.get(CustomsNotifier).status().standby).sort()).toEqual([false, true]);
      // A replica that finds another's record stands by; duplicates are only the races before it did.
      const twice = ids.filter((id) => (receiver.deliveries.get(id) ?? 0) > 1);
      expect(twice.length).toBeLessThan(ids.length);
    },
  );

  it('given two notifiers recording the same notification (two replicas), the outbox holds it once', async () => {
    const receiver = await receiverWith();
    const t = await start(receiver, { CUSTOMS_WEBHOOK_URL: '' });
    const store = t.app.get<EventStore>(EVENT_STORE);
    const p = kind === 'sqlite' ? 'EXP-19-700001' : 'EXP-19-800001';
    const issued = await post(t, '/permits', 'officer', permitBody(p));
    const [event] = (await store.readStream(`permit-${p}`)).filter((e) => e.eventId === issued.events[0].eventId);
    const notified = (deliveredAt: string) => ({
      type: 'CustomsNotified' as const,
      data: {
        permitNumber: p,
        eventId: event.eventId,
        eventType: event.type,
        position: event.position,
        hash: event.hash,
        deliveredAt,
        attempts: 1,
      },
    });
    const a = new CustomsOutbox(store);
    const b = new CustomsOutbox(store);
    await Promise.all([a.refresh(), b.refresh()]);
    const outcomes = await Promise.all([
      a.record(notified('2024-01-01T00:00:00.000Z'), event, '2024-01-01T00:00:00.000Z'),
      b.record(notified('2024-01-01T00:00:01.000Z'), event, '2024-01-01T00:00:01.000Z'),
    ]);
    expect(outcomes.sort()).toEqual(['already', 'recorded']);
    expect(notifiedOf(await outbox(store)).filter((n) => n.eventId === event.eventId)).toHaveLength(1);
    expect(a.recordedHere(event.eventId) !== b.recordedHere(event.eventId)).toBe(true);
  });
});
