/**
 * The witness pusher against real witnesses (the C2SP tlog-witness of libs/event-store, over HTTP in this
 * process), fed by a transparency log in memory.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MemoryWitnessState,
  Witness,
  cosignerFromSeed,
  formatAddCheckpoint,
  openNote,
  parseCosignatureVerifierKey,
  parseSignatureLine,
  witnessListener,
  witnessLog,
  type Cosigner,
} from '@permit-ledger/event-store';
import type { AppConfig } from '@permit-ledger/config';
import { TestLog } from '../../../../libs/event-store/src/witness/testing/test-log.js';
import { ReadinessChecks } from '../platform/health/readiness-checks.js';
import type { SignedCheckpoint, TransparencyLog } from './transparency-log.js';
import { MAX_WITNESS_ANSWER_BYTES, WitnessPusher, type WitnessPushOptions } from './witness-pusher.js';

const cosigner = (name: string) => cosignerFromSeed(name, new Uint8Array(createHash('sha256').update(name).digest()));

/**
 * The TransparencyLog interface over a TestLog: checkpoints signed on demand, cosignatures kept as the ledger
 * tree keeps them, one per checkpoint and witness key (a newer line replaces the older).
 */
class MemoryLog implements TransparencyLog {
  /** Per size: the lines held for the checkpoint of that size. */
  readonly cosigned = new Map<number, string[]>();
  private readonly byWitness = new Map<string, Map<string, string>>();
  private readonly listeners = new Set<(c: SignedCheckpoint) => void>();
  private newest: SignedCheckpoint | null = null;
  constructor(readonly tree: TestLog) {}
  origin = () => this.tree.origin;
  verifierKey = () => this.tree.verifierKey;
  latest = async () => this.newest && { ...this.newest, cosignatures: this.cosigned.get(this.newest.size) ?? [] };
  onCheckpoint(listener: (c: SignedCheckpoint) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  inclusionProof = async (leaf: number, size: number) => this.tree.inclusion(leaf, size);
  consistencyProof = async (from: number, size: number) => this.tree.consistency(from, size);
  leavesOf = async () => new Map<number, number | null>();
  async addCosignature(checkpoint: Pick<SignedCheckpoint, 'size' | 'root'>, line: string, witnessKey: string) {
    const id = `${checkpoint.size} ${Buffer.from(checkpoint.root).toString('base64')}`;
    const lines = this.byWitness.get(id) ?? new Map<string, string>();
    this.byWitness.set(id, lines.set(witnessKey, line));
    this.cosigned.set(checkpoint.size, [...lines.values()]);
  }
  /** Appends leaves and signs a checkpoint of the new size, as the ledger writer does. */
  grow(count: number): SignedCheckpoint {
    this.tree.append(count);
    this.newest = { size: this.tree.size, root: this.tree.root(), note: this.tree.checkpoint(), cosignatures: [] };
    for (const listener of this.listeners) listener(this.newest);
    return this.newest;
  }
}

interface RunningWitness {
  witness: Witness;
  cosigner: Cosigner;
  url: string;
  server: Server;
  /** Requests it has received. */
  requests: () => number;
}

const servers: Server[] = [];
const pushers: WitnessPusher[] = [];
afterEach(async () => {
  await Promise.all(pushers.splice(0).map((p) => p.onApplicationShutdown()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function startWitness(log: TestLog, name = 'witness.test/w1', port = 0): Promise<RunningWitness> {
  const key = cosigner(name);
  const witness = new Witness({ cosigner: key, logs: [witnessLog(log.verifierKey)], state: new MemoryWitnessState() });
  const listener = witnessListener(witness);
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    return listener(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { witness, cosigner: key, server, url, requests: () => requests };
}

function startPusher(log: MemoryLog, witnesses: Array<{ url: string; verifierKey: string }>, options: Partial<WitnessPushOptions> = {}) {
  const readiness = new ReadinessChecks();
  const config = { ledgerWitnesses: witnesses, ledgerWitnessMaxLag: null } as unknown as AppConfig;
  const pusher = new WitnessPusher(log, config, readiness, { initialBackoffMs: 10, maxBackoffMs: 40, ...options });
  pushers.push(pusher);
  return { pusher, readiness };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('WitnessPusher', () => {
  it('given a witness, when checkpoints are signed, then each is cosigned and the cosignature verifies with its key', async () => {
    const log = new MemoryLog(new TestLog());
    const w = await startWitness(log.tree);
    const { pusher, readiness } = startPusher(log, [{ url: w.url, verifierKey: w.cosigner.verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(4);
    await until(() => log.cosigned.has(4));
    log.grow(3);
    await until(() => log.cosigned.has(7));
    await pusher.settled();
    const served = (await log.latest())!;
    const cosigned = served.note + served.cosignatures.join('');
    expect(openNote(cosigned, [parseCosignatureVerifierKey(w.cosigner.verifierKey)]).verified).toHaveLength(1);
    expect(pusher.statuses()[0]).toMatchObject({ name: 'witness.test/w1', cosignedSize: 7, latestSize: 7, lag: 0, state: 'idle' });
    expect(readiness.list().map((c) => [c.name, c.report().up])).toEqual([['witness:witness.test/w1', true]]);
  });

  it('given a witness that cosigned a size before this process started, when it answers 409, then the push is sent again from its size', async () => {
    const log = new MemoryLog(new TestLog());
    const w = await startWitness(log.tree);
    log.grow(3);
    const direct = await w.witness.addCheckpoint(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.tree.checkpoint() }));
    expect(direct.status).toBe(200);
    const { pusher } = startPusher(log, [{ url: `${w.url}/add-checkpoint`, verifierKey: w.cosigner.verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(5);
    await until(() => log.cosigned.has(8));
    expect(pusher.statuses()[0]).toMatchObject({ cosignedSize: 8, state: 'idle' });
  });

  it('given a witness that cosigned a fork, when it refuses the checkpoint, then no cosignature is stored and the refusal is reported', async () => {
    const log = new MemoryLog(new TestLog());
    const w = await startWitness(log.tree);
    const fork = new TestLog(log.tree.origin, new Uint8Array(createHash('sha256').update('test log key').digest()), 'forked').append(5);
    expect((await w.witness.addCheckpoint(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: fork.checkpoint() }))).status).toBe(200);
    const { pusher, readiness } = startPusher(log, [{ url: w.url, verifierKey: w.cosigner.verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(5);
    await until(() => pusher.statuses()[0].state === 'refused');
    log.grow(4);
    await until(() => pusher.statuses()[0].latestSize === 9);
    await pusher.settled();
    expect(log.cosigned.size).toBe(0);
    expect(pusher.statuses()[0]).toMatchObject({ state: 'refused', lag: 4, lastError: expect.stringContaining('HTTP 422') });
    // A witness outage or refusal is reported, not fatal, unless LEDGER_WITNESS_MAX_LAG says otherwise.
    expect(readiness.list()[0].report()).toMatchObject({ up: true, data: { state: 'refused' } });
    const strict = startPusher(log, [{ url: w.url, verifierKey: w.cosigner.verifierKey }], { maxLag: 0 });
    await strict.pusher.onApplicationBootstrap();
    await until(() => strict.pusher.statuses()[0].state === 'refused');
    expect(strict.readiness.list()[0].report().up).toBe(false);
  });

  it('when the witness answers a cosignature of another key, then it is not stored', async () => {
    const log = new MemoryLog(new TestLog());
    const w = await startWitness(log.tree);
    const { pusher } = startPusher(log, [{ url: w.url, verifierKey: cosigner('witness.test/w1-other').verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(2);
    await until(() => pusher.statuses()[0].lastError !== null);
    expect(log.cosigned.size).toBe(0);
    expect(pusher.statuses()[0].state).not.toBe('idle');
  });

  it('given a witness that is down, when it comes up, then the push is retried with back-off and the latest checkpoint is cosigned', async () => {
    const log = new MemoryLog(new TestLog());
    const probe = await startWitness(log.tree, 'witness.test/w1');
    const port = (probe.server.address() as AddressInfo).port;
    await new Promise((r) => probe.server.close(r));
    const { pusher } = startPusher(log, [{ url: probe.url, verifierKey: probe.cosigner.verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(3);
    await until(() => pusher.statuses()[0].state === 'retrying');
    log.grow(2);
    await startWitness(log.tree, 'witness.test/w1', port);
    await until(() => log.cosigned.has(5));
    expect(log.cosigned.get(5)!.map((l) => parseSignatureLine(l.trimEnd()).name)).toEqual(['witness.test/w1']);
  });

  it('given a witness that cosigned the latest checkpoint, when the service restarts, then it is not asked again and one line per witness is held', async () => {
    const log = new MemoryLog(new TestLog());
    const w = await startWitness(log.tree);
    const witnesses = [{ url: w.url, verifierKey: w.cosigner.verifierKey }];
    const first = startPusher(log, witnesses);
    await first.pusher.onApplicationBootstrap();
    log.grow(4);
    await until(() => log.cosigned.has(4));
    await first.pusher.onApplicationShutdown();
    const asked = w.requests();
    for (let restart = 0; restart < 4; restart++) {
      const again = startPusher(log, witnesses, { maxLag: 0 });
      await again.pusher.onApplicationBootstrap();
      await again.pusher.settled();
      expect(again.pusher.statuses()[0]).toMatchObject({ cosignedSize: 4, latestSize: 4, lag: 0, failing: false, state: 'idle' });
      expect(again.pusher.statuses()[0].lastCosignedAt).not.toBeNull();
      expect(again.readiness.list()[0].report().up).toBe(true);
      await again.pusher.onApplicationShutdown();
    }
    expect(w.requests()).toBe(asked);
    expect(log.cosigned.get(4)).toHaveLength(1);
    expect(
      openNote((await log.latest())!.note + log.cosigned.get(4)!.join(''), [parseCosignatureVerifierKey(w.cosigner.verifierKey)]).verified,
    ).toHaveLength(1);
  });

  it('given a witness ahead of the log (a restored or forked log), then it is failing, its size never counts as cosigned, and it is down when a max lag is set', async () => {
    const seed = new Uint8Array(createHash('sha256').update('test log key').digest());
    const before = new TestLog(undefined, seed).append(9);
    const log = new MemoryLog(new TestLog(undefined, seed));
    const w = await startWitness(log.tree);
    expect((await w.witness.addCheckpoint(formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: before.checkpoint() }))).status).toBe(
      200,
    );
    const witnesses = [{ url: w.url, verifierKey: w.cosigner.verifierKey }];
    const lenient = startPusher(log, witnesses);
    const strict = startPusher(log, witnesses, { maxLag: 100 });
    await lenient.pusher.onApplicationBootstrap();
    await strict.pusher.onApplicationBootstrap();
    log.grow(5);
    await until(() => strict.pusher.statuses()[0].state === 'refused' && lenient.pusher.statuses()[0].state === 'refused');
    expect(strict.pusher.statuses()[0]).toMatchObject({ cosignedSize: null, latestSize: 5, lag: 5, ahead: 9, failing: true });
    expect(strict.pusher.statuses()[0].lastError).toContain('beyond');
    expect(log.cosigned.size).toBe(0);
    expect(lenient.readiness.list()[0].report()).toMatchObject({ up: true, data: { ahead: 9, failing: true } });
    expect(strict.readiness.list()[0].report().up).toBe(false);
  });

  it('when a witness answers more than a cosignature could be, then the answer is not read and the push is retried', async () => {
    let requests = 0;
    const flood = createServer((req, res) => {
      requests++;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('\u2014 witness.test/w1 ' + 'A'.repeat(MAX_WITNESS_ANSWER_BYTES) + '\n');
    });
    servers.push(flood);
    await new Promise<void>((r) => flood.listen(0, '127.0.0.1', () => r()));
    const log = new MemoryLog(new TestLog());
    const url = `http://127.0.0.1:${(flood.address() as AddressInfo).port}`;
    const { pusher } = startPusher(log, [{ url, verifierKey: cosigner('witness.test/w1').verifierKey }]);
    await pusher.onApplicationBootstrap();
    log.grow(2);
    await until(() => requests >= 2);
    expect(pusher.statuses()[0].lastError).toContain(`over ${MAX_WITNESS_ANSWER_BYTES} bytes`);
    expect(log.cosigned.size).toBe(0);
  });
});
