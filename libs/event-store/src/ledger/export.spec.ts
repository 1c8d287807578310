import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { RecordedEvent } from '../port/envelope.js';
import type { EventStore, ReadAllOptions, ReadStreamOptions } from '../port/port.js';
import {
  csvCell,
  csvLines,
  exportEvents,
  ExportScopeNotFoundError,
  ndjsonLines,
  verifyNdjson,
  withCountedLeaves,
  withLookedUpLeaves,
  type ExportScope,
} from './export.js';
import { LedgerBuilder } from './testing/ledger-fixtures.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const exportedAt = '2024-06-01T00:00:00.000Z';

/** The read side of the port over an array, counting reads. */
function fakeStore(events: RecordedEvent[]) {
  const reads: Array<{ kind: string; maxCount?: number }> = [];
  const store = {
    reads,
    async headPosition() {
      return events.at(-1)?.position ?? 0;
    },
    async readAll({ after = 0, maxCount = Infinity }: ReadAllOptions = {}) {
      reads.push({ kind: 'all', maxCount });
      return events.filter((e) => e.position > after).slice(0, maxCount);
    },
    async readStream(stream: string, { fromRevision = 0, maxCount = Infinity }: ReadStreamOptions = {}) {
      reads.push({ kind: stream, maxCount });
      return events.filter((e) => e.stream === stream && e.revision >= fromRevision).slice(0, maxCount);
    },
    async streamRevision(stream: string) {
      return events.filter((e) => e.stream === stream).at(-1)?.revision ?? -1;
    },
  };
  return store as typeof store & EventStore;
}

/** Two permits, a decision over both, a third permit the decision did not touch, one signed anchor. */
async function* toAsync<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

function ledger(): RecordedEvent[] {
  const b = new LedgerBuilder();
  b.add('permit-EXP-1', 'PermitIssued', { destination: 'TR', exporter: { name: 'Northfield, "Optronics"' } });
  b.add('permit-EXP-2', 'PermitIssued', { destination: 'TR' });
  b.add('permit-EXP-3', 'PermitIssued', { destination: 'DE' });
  b.add('decision-MIN-1', 'DecisionRecorded', { decisionRef: 'MIN-1' }, { decisionRef: 'MIN-1' });
  b.add('decision-MIN-1', 'DecisionTargetsResolved', { decisionRef: 'MIN-1', permitNumbers: ['EXP-1', 'EXP-2'] });
  b.anchor(privateKey);
  b.add(
    'permit-EXP-1',
    'PermitSuspended',
    {},
    {
      reason: '=HYPERLINK("http://x")',
      legalBasis: 'EIPA s.10(1)',
      decisionRef: 'MIN-1',
      actor: { id: 'minister-1', role: 'minister', executor: 'decision-process-manager' },
    },
  );
  b.add('permit-EXP-2', 'PermitSuspended', {}, { reason: 'multi\nline', decisionRef: 'MIN-1' });
  b.add('decision-MIN-1', 'DecisionCompleted', { decisionRef: 'MIN-1', applied: 2 });
  return b.events;
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function exportNdjson(events: RecordedEvent[], scope: ExportScope): Promise<string[]> {
  return collect(ndjsonLines(scope, exportEvents(fakeStore(events), scope), { exportedAt }));
}

describe('exportEvents', () => {
  it('reads the ledger in pages of at most 50 (what an export holds in memory), in log order, up to the head at the start', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 125; i++) b.add(`permit-${i % 7}`, 'PermitIssued', { i });
    const store = fakeStore(b.events);
    const seen: number[] = [];
    for await (const e of exportEvents(store, { kind: 'ledger' })) {
      // Appended during the export: past the head it started from, so not part of it.
      if (seen.length === 0) b.add('permit-late', 'PermitIssued');
      seen.push(e.position);
    }
    expect(seen).toEqual(Array.from({ length: 125 }, (_, i) => i + 1));
    expect(store.reads.map((r) => r.maxCount)).toEqual([50, 50, 50]);
  });

  it("reads one permit's stream", async () => {
    const events = await collect(exportEvents(fakeStore(ledger()), { kind: 'permit', permitNumber: 'EXP-1' }));
    expect(events.map((e) => `${e.stream}@${e.revision}`)).toEqual(['permit-EXP-1@0', 'permit-EXP-1@1']);
  });

  it("reads a decision's stream, then the stream of each permit its DecisionTargetsResolved lists", async () => {
    const events = await collect(exportEvents(fakeStore(ledger()), { kind: 'decision', decisionRef: 'MIN-1' }));
    expect(events.map((e) => `${e.stream}@${e.revision}`)).toEqual([
      'decision-MIN-1@0',
      'decision-MIN-1@1',
      'decision-MIN-1@2',
      'permit-EXP-1@0',
      'permit-EXP-1@1',
      'permit-EXP-2@0',
      'permit-EXP-2@1',
    ]);
  });

  it('a missing permit or decision fails before the first line is out', async () => {
    const store = fakeStore(ledger());
    for (const scope of [
      { kind: 'permit', permitNumber: 'NOPE' },
      { kind: 'decision', decisionRef: 'NOPE' },
    ] as const) {
      const lines = ndjsonLines(scope, exportEvents(store, scope), { exportedAt });
      await expect(lines.next()).rejects.toBeInstanceOf(ExportScopeNotFoundError);
    }
  });
});

describe('NDJSON export', () => {
  it('is a header, one line per event as stored, and a trailer with the count', async () => {
    const events = ledger();
    const lines = await exportNdjson(events, { kind: 'ledger' });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(JSON.parse(lines[0])).toEqual({ format: 'permit-ledger/export', version: 1, scope: { kind: 'ledger' }, exportedAt });
    expect(lines.slice(1, -1).map((l) => JSON.parse(l))).toEqual(events);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, count: events.length });
  });

  it('an empty ledger is a header and a trailer of count 0, and verifies', async () => {
    const lines = await exportNdjson([], { kind: 'ledger' });
    expect(lines.map((l) => JSON.parse(l).count)).toEqual([undefined, 0]);
    expect(await verifyNdjson(lines)).toMatchObject({ valid: true, checked: 0 });
  });

  it('stops reading the store when the consumer stops', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 3000; i++) b.add('permit-X', 'PermitAmended', { i });
    const store = fakeStore(b.events);
    const lines = ndjsonLines({ kind: 'ledger' }, exportEvents(store, { kind: 'ledger' }), { exportedAt });
    for await (const line of lines) if (line.includes('"revision":5,')) break;
    expect(store.reads).toHaveLength(1);
  });
});

describe('verifyNdjson', () => {
  it('verifies a ledger export with its anchors and signature', async () => {
    const result = await verifyNdjson(await exportNdjson(ledger(), { kind: 'ledger' }), { publicKey });
    expect(result).toMatchObject({ valid: true, checked: 9, anchorsChecked: 1, lastAnchorPosition: 5, unanchored: 3, lines: 11 });
    expect(result.header?.scope).toEqual({ kind: 'ledger' });
  });

  it("verifies a decision's export (streams only) and a permit's", async () => {
    const decision = await verifyNdjson(await exportNdjson(ledger(), { kind: 'decision', decisionRef: 'MIN-1' }), { publicKey });
    expect(decision).toMatchObject({
      valid: true,
      checked: 7,
      anchorsChecked: 0,
      header: { scope: { kind: 'decision', decisionRef: 'MIN-1' } },
    });
    const permit = await verifyNdjson(await exportNdjson(ledger(), { kind: 'permit', permitNumber: 'EXP-2' }));
    expect(permit).toMatchObject({ valid: true, checked: 2 });
  });

  it('one byte changed inside an event: HASH_MISMATCH at that event, with its line', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    lines[2] = lines[2].replace('"destination":"TR"', '"destination":"TX"');
    expect((await verifyNdjson(lines, { publicKey })).firstBroken).toMatchObject({
      position: 2,
      stream: 'permit-EXP-2',
      revision: 0,
      reason: 'HASH_MISMATCH',
      line: 3,
    });
  });

  it('an event line removed: the chain or the anchor names the break, the trailer count does not hide it', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    lines.splice(7, 1); // permit-EXP-1 revision 1, after the only anchor
    expect((await verifyNdjson(lines)).firstBroken).toMatchObject({ reason: 'COUNT_MISMATCH', line: 10 });
    lines.splice(1, 1); // permit-EXP-1 revision 0
    expect((await verifyNdjson(lines)).firstBroken).toMatchObject({ position: 6, reason: 'RUNNING_HASH_MISMATCH', line: 6 });
  });

  it('reports a malformed line with its number instead of throwing', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    const broken = [...lines];
    broken[3] = broken[3].slice(0, 20);
    expect((await verifyNdjson(broken)).firstBroken).toMatchObject({ reason: 'MALFORMED_LINE', line: 4, position: -1 });
    const notAnEvent = [...lines];
    notAnEvent[3] = JSON.stringify({ hello: 'world' });
    const result = await verifyNdjson(notAnEvent);
    expect(result.firstBroken).toMatchObject({ reason: 'MALFORMED_LINE', line: 4 });
    expect(result.firstBroken!.detail).toContain('stream');
    const wrongHeader = [JSON.stringify({ format: 'something-else', version: 1 }), ...lines.slice(1)];
    expect((await verifyNdjson(wrongHeader)).firstBroken).toMatchObject({ reason: 'MALFORMED_LINE', line: 1 });
    expect((await verifyNdjson([])).firstBroken).toMatchObject({ reason: 'MALFORMED_LINE', line: 1 });
    expect((await verifyNdjson([...lines, '{"more":1}\n'])).firstBroken).toMatchObject({
      reason: 'MALFORMED_LINE',
      line: lines.length + 1,
    });
  });

  it('a file without its trailer: TRUNCATED; a wrong count: COUNT_MISMATCH', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    expect((await verifyNdjson(lines.slice(0, -1))).firstBroken).toMatchObject({ reason: 'TRUNCATED' });
    expect((await verifyNdjson([...lines.slice(0, -1), '{"end":true,"count":3}'])).firstBroken).toMatchObject({ reason: 'COUNT_MISMATCH' });
  });

  it('accepts CRLF line ends and blank lines', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    expect(await verifyNdjson([...lines.map((l) => l.replace(/\n$/, '\r\n')), '', '\r\n'], { publicKey })).toMatchObject({ valid: true });
  });
});

describe('leaves in an export', () => {
  it("counts a whole ledger's leaves in log order, every event but the anchors", async () => {
    const events = ledger();
    const counted = [];
    for await (const e of withCountedLeaves(toAsync(events))) counted.push(e);
    const chained = events.filter((e) => e.stream !== 'ledger-anchors');
    expect(chained.length).toBeLessThan(events.length);
    expect(counted.filter((e) => e.stream !== 'ledger-anchors').map((e) => e.leaf)).toEqual(chained.map((_, i) => i));
    expect(counted.filter((e) => e.stream === 'ledger-anchors').every((e) => e.leaf === null)).toBe(true);
    const line = JSON.parse((await collect(ndjsonLines({ kind: 'ledger' }, counted, { exportedAt: 'x' })))[1]) as Record<string, unknown>;
    expect(Object.keys(line).slice(0, 2)).toEqual(['position', 'leaf']);
  });

  it("looks a stream's leaves up a page at a time, null for what the tree does not have", async () => {
    const events = ledger();
    const asked: number[][] = [];
    const leaves = [];
    const lookup = async (positions: number[]) => {
      asked.push(positions);
      return new Map(positions.filter((p) => p % 2 === 1).map((p) => [p, p * 10]));
    };
    for await (const e of withLookedUpLeaves(toAsync(events), lookup)) leaves.push([e.position, e.leaf]);
    expect(asked.flat()).toEqual(events.map((e) => e.position));
    expect(leaves).toEqual(events.map((e) => [e.position, e.position % 2 === 1 ? e.position * 10 : null]));
  });
});

describe('CSV export', () => {
  it('has a header and one row per event, quoted per RFC 4180', async () => {
    const events = ledger();
    const lines = await collect(csvLines(events));
    expect(lines[0]).toBe(
      'position,stream,revision,type,schemaVersion,effectiveAt,recordedAt,actorId,actorRole,executor,reason,legalBasis,decisionRef,data,prevHash,hash,leaf\r\n',
    );
    expect(lines).toHaveLength(events.length + 1);
    expect(lines.every((l) => l.endsWith('\r\n'))).toBe(true);
    expect(lines[1]).toBe(
      `1,permit-EXP-1,0,PermitIssued,1,2020-10-05T00:00:00.000Z,${events[0].recordedAt},officer-1,officer,,,,,` +
        `"{""destination"":""TR"",""exporter"":{""name"":""Northfield, \\""Optronics\\""""}}",,${events[0].hash},\r\n`,
    );
    expect(lines[7]).toContain(
      `,minister-1,minister,decision-process-manager,"'=HYPERLINK(""http://x"")",EIPA s.10(1),MIN-1,{},${events[0].hash},`,
    );
    expect(lines[8]).toContain(',"multi\nline",');
  });

  it('neutralises formula cells with a leading quote', () => {
    expect(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', 'plain', '1-2', ''].map(csvCell)).toEqual([
      "'=1+1",
      "'+1",
      "'-1",
      "'@SUM(A1)",
      "'\tx",
      'plain',
      '1-2',
      '',
    ]);
    expect(csvCell(null)).toBe('');
    expect(csvCell(12)).toBe('12');
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
  });

  it('writes numbers as numbers, negatives included, and a non-finite number as an empty cell', () => {
    expect([-500, -0.5, 0, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY].map(csvCell)).toEqual([
      '-500',
      '-0.5',
      '0',
      '1e+21',
      '',
      '',
      '',
    ]);
    expect(csvCell('-500')).toBe("'-500");
  });

  it('is only the header for no events', async () => {
    expect(await collect(csvLines([]))).toHaveLength(1);
  });
});

describe('exports at the edges', () => {
  /** `count` events of one permit stream. */
  function oneStream(count: number): RecordedEvent[] {
    const b = new LedgerBuilder();
    for (let i = 0; i < count; i++) b.add('permit-EXP-9', 'PermitAmended', { i });
    return b.events;
  }

  it('reads a stream longer than a page to its end, a page at a time', async () => {
    const store = fakeStore(oneStream(120));
    const events = await collect(exportEvents(store, { kind: 'permit', permitNumber: 'EXP-9' }));
    expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(store.reads.map((r) => r.maxCount)).toEqual([50, 50, 50]);
  });

  it('ends a ledger export when the store has no more events than it said', async () => {
    const store = fakeStore(ledger());
    store.headPosition = async () => 99;
    expect(await collect(exportEvents(store, { kind: 'ledger' }))).toHaveLength(9);
  });

  it("follows only the permit numbers a decision's DecisionTargetsResolved lists as strings", async () => {
    const b = new LedgerBuilder();
    b.add('permit-EXP-1', 'PermitIssued');
    b.add('permit-EXP-2', 'PermitIssued');
    b.add('decision-MIN-2', 'DecisionRecorded', { permitNumbers: ['EXP-2'] });
    b.add('decision-MIN-2', 'DecisionTargetsResolved', {});
    b.add('decision-MIN-2', 'DecisionTargetsResolved', { permitNumbers: [42, 'EXP-1', null] });
    const store = fakeStore(b.events);
    const events = await collect(exportEvents(store, { kind: 'decision', decisionRef: 'MIN-2' }));
    expect(events.map((e) => e.stream)).toEqual(['decision-MIN-2', 'decision-MIN-2', 'decision-MIN-2', 'permit-EXP-1']);
    expect(store.reads.map((r) => r.kind)).toEqual(['decision-MIN-2', 'permit-EXP-1']);
  });

  it('names the permit or decision it did not find, and refuses an unknown scope', async () => {
    const store = fakeStore(ledger());
    await expect(collect(exportEvents(store, { kind: 'permit', permitNumber: 'NOPE' }))).rejects.toMatchObject({
      name: 'ExportScopeNotFoundError',
      code: 'EXPORT_SCOPE_NOT_FOUND',
      message: 'permit NOPE has no events',
    });
    await expect(collect(exportEvents(store, { kind: 'decision', decisionRef: 'NOPE' }))).rejects.toThrow('decision NOPE has no events');
    await expect(collect(exportEvents(store, { kind: 'stream' } as unknown as ExportScope))).rejects.toThrow(
      'unknown export scope {"kind":"stream"}',
    );
  });

  it('looks leaves up in pages of 50, and never for an empty page', async () => {
    const events = oneStream(100);
    const asked: number[] = [];
    const lookup = async (positions: number[]) => {
      asked.push(positions.length);
      return new Map<number, number | null>();
    };
    expect((await collect(withLookedUpLeaves(toAsync(events), lookup))).map((e) => e.position)).toEqual(events.map((e) => e.position));
    expect(asked).toEqual([50, 50]);
    asked.length = 0;
    await collect(withLookedUpLeaves(toAsync(events.slice(0, 51)), lookup));
    expect(asked).toEqual([50, 1]);
    asked.length = 0;
    await collect(withLookedUpLeaves(toAsync([]), lookup));
    expect(asked).toEqual([]);
  });

  it('lets the source go when the consumer stops, whatever the source', async () => {
    let released = false;
    async function* source() {
      try {
        yield* ledger();
      } finally {
        released = true;
      }
    }
    for await (const line of ndjsonLines({ kind: 'ledger' }, source(), { exportedAt })) if (line.includes('"position":2,')) break;
    expect(released).toBe(true);
    // A plain array has no return(): stopping early is still fine.
    const lines = csvLines(ledger());
    await lines.next();
    await expect(lines.return(undefined)).resolves.toMatchObject({ done: true });
  });

  it('writes empty actor cells for an event stored without an actor', async () => {
    const [event] = ledger();
    const { actor: _actor, ...metadata } = event.metadata;
    const [, row] = await collect(csvLines([{ ...event, metadata: metadata as typeof event.metadata }]));
    expect(row).toContain(`,${event.recordedAt},,,,`);
  });

  it('quotes a carriage return and neutralises a cell that starts with one', () => {
    expect(csvCell('a\rb')).toBe('"a\rb"');
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
  });
});

describe('verifyNdjson: what each refusal of the file says', () => {
  const header = (scope: unknown) => JSON.stringify({ format: 'permit-ledger/export', version: 1, scope, exportedAt }) + '\n';
  const breakOf = async (lines: string[]) => (await verifyNdjson(lines, { publicKey })).firstBroken;

  it('a file break names no event: position -1, no stream, revision -1, with its line', async () => {
    expect(await breakOf([])).toEqual({ position: -1, stream: '', revision: -1, reason: 'MALFORMED_LINE', detail: 'empty file', line: 1 });
  });

  it('refuses a header that is no object, of another format or version, or of an unknown scope', async () => {
    const cases: [string, string][] = [
      ['null\n', 'not an object'],
      ['42\n', 'not an object'],
      ['"permit-ledger/export"\n', 'not an object'],
      ['{"format":"permit-ledger/export"\n', `invalid JSON: ${jsonError('{"format":"permit-ledger/export"')}`],
      [JSON.stringify({ format: 'other', version: 1, scope: { kind: 'ledger' } }), 'format is not permit-ledger/export'],
      [JSON.stringify({ format: 'permit-ledger/export', version: 2, scope: { kind: 'ledger' } }), 'version 2 is not supported'],
      [JSON.stringify({ format: 'permit-ledger/export', version: 1 }), 'unknown scope'],
      [header({ kind: 'everything' }), 'unknown scope'],
      [header({ kind: 'permit' }), 'unknown scope'],
      [header({ kind: 'permit', decisionRef: 'MIN-1' }), 'unknown scope'],
      [header({ kind: 'decision', permitNumber: 'EXP-1' }), 'unknown scope'],
      [header({ kind: 'decision', decisionRef: 7 }), 'unknown scope'],
    ];
    for (const [line, why] of cases) {
      expect([line, await breakOf([line, '{"end":true,"count":0}\n'])]).toMatchObject([
        line,
        { reason: 'MALFORMED_LINE', detail: `not an export header: ${why}`, line: 1 },
      ]);
    }
    for (const scope of [
      { kind: 'permit', permitNumber: 'EXP-1' },
      { kind: 'decision', decisionRef: 'MIN-1' },
    ]) {
      expect(await verifyNdjson([header(scope), '{"end":true,"count":0}\n'])).toMatchObject({ valid: true, header: { scope } });
    }
  });

  it('refuses a line that is no event, naming every field that is wrong', async () => {
    const [first, event] = await exportNdjson(ledger(), { kind: 'permit', permitNumber: 'EXP-2' });
    const good = JSON.parse(event) as Record<string, unknown>;
    const cases: [unknown, string][] = [
      [null, 'not an event object'],
      [42, 'not an event object'],
      ['text', 'not an event object'],
      [[good], 'not an event object'],
      [{ ...good, position: '1' }, 'event without a valid position'],
      [{ ...good, stream: 7 }, 'event without a valid stream'],
      [{ ...good, revision: 0.5 }, 'event without a valid revision'],
      [{ ...good, eventId: 7 }, 'event without a valid eventId'],
      [{ ...good, type: null }, 'event without a valid type'],
      [{ ...good, schemaVersion: '1' }, 'event without a valid schemaVersion'],
      [{ ...good, data: null }, 'event without a valid data'],
      [{ ...good, data: [] }, 'event without a valid data'],
      [{ ...good, data: 'x' }, 'event without a valid data'],
      [{ ...good, metadata: [] }, 'event without a valid metadata'],
      [{ ...good, recordedAt: 0 }, 'event without a valid recordedAt'],
      [{ ...good, prevHash: 0 }, 'event without a valid prevHash'],
      [{ ...good, hash: null }, 'event without a valid hash'],
      [{ ...good, stream: 7, hash: null }, 'event without a valid stream, hash'],
    ];
    for (const [value, why] of cases) {
      const line = JSON.stringify(value) + '\n';
      expect([why, await breakOf([first, line, '{"end":true,"count":1}\n'])]).toEqual([
        why,
        { position: -1, stream: '', revision: -1, reason: 'MALFORMED_LINE', detail: why, line: 2 },
      ]);
    }
    // A number, but not a finite one (JSON.stringify cannot write it: 1e999 reads as Infinity).
    const infinite = JSON.stringify({ ...good, position: 0 }).replace('"position":0', '"position":1e999');
    expect(await breakOf([first, infinite, '{"end":true,"count":1}\n'])).toMatchObject({ detail: 'event without a valid position' });
    // Null is a valid prevHash (a stream's first event): the event is checked as such.
    expect((await verifyNdjson([first, event, '{"end":true,"count":1}\n'])).valid).toBe(true);
  });

  it('says what is wrong with an unreadable line, a trailer, or what follows it', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    const n = lines.length;
    const broken = [...lines];
    broken[3] = '{"position":';
    expect(await breakOf(broken)).toMatchObject({
      reason: 'MALFORMED_LINE',
      line: 4,
      detail: `invalid JSON: ${jsonError('{"position":')}`,
    });
    expect(await breakOf([...lines.slice(0, -1), '{"end":true}\n'])).toMatchObject({ detail: 'trailer without a count', line: n });
    expect(await breakOf([...lines.slice(0, -1), '{"end":true,"count":"9"}\n'])).toMatchObject({ detail: 'trailer without a count' });
    expect(await breakOf([...lines, '{"more":1}\n'])).toMatchObject({ detail: 'content after the trailer', line: n + 1 });
    expect(await breakOf([...lines, lines[1]])).toMatchObject({ detail: 'content after the trailer', line: n + 1 });
    expect(await breakOf(lines.slice(0, -1))).toMatchObject({
      reason: 'TRUNCATED',
      detail: 'no trailer line: the export is incomplete',
      line: n - 1,
    });
    expect(await breakOf([...lines.slice(0, -1), '{"end":true,"count":3}\n'])).toMatchObject({
      reason: 'COUNT_MISMATCH',
      detail: 'trailer says 3 events, the file holds 9',
      line: n,
    });
    // A trailer is an object whose "end" is true: any other value of "end" is an event line, and no valid one.
    expect(await breakOf([...lines.slice(0, -1), '{"end":1,"count":9}\n'])).toMatchObject({ reason: 'MALFORMED_LINE', line: n });
  });

  it('reports the whole result of a file that is no export: nothing checked, nothing unanchored', async () => {
    expect(await verifyNdjson(['{"format":"csv"}\n', '{"end":true,"count":0}\n'], { publicKey })).toEqual({
      valid: false,
      checked: 0,
      anchorsChecked: 0,
      lastAnchorPosition: null,
      unanchored: 0,
      lines: 1,
      firstBroken: {
        position: -1,
        stream: '',
        revision: -1,
        reason: 'MALFORMED_LINE',
        detail: 'not an export header: format is not permit-ledger/export',
        line: 1,
      },
    });
    expect(await verifyNdjson(['\n', '\r\n'])).toMatchObject({ valid: false, checked: 0, unanchored: 0, lines: 2 });
  });

  it('refuses a trailer that is no object or has no integer count, naming the line', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    const n = lines.length;
    const cases: [string, string][] = [
      ['{"end":true}', 'trailer without a count'],
      ['{"end":true,"count":null}', 'trailer without a count'],
      ['{"end":true,"count":8.5}', 'trailer without a count'],
      ['[{"end":true,"count":9}]', 'not an event object'],
      ['null', 'not an event object'],
      ['true', 'not an event object'],
    ];
    for (const [trailer, why] of cases) {
      expect([trailer, await breakOf([...lines.slice(0, -1), trailer + '\n'])]).toEqual([
        trailer,
        { position: -1, stream: '', revision: -1, reason: 'MALFORMED_LINE', detail: why, line: n },
      ]);
    }
  });

  it('strips a line end of "\\n" or "\\r\\n" only: the detail of an unreadable line quotes it without', async () => {
    const [first] = await exportNdjson(ledger(), { kind: 'ledger' });
    // JSON.parse quotes the text it could not read: with its line end, the message would differ.
    expect(jsonError('x')).not.toBe(jsonError('x\r\n'));
    for (const line of ['x\n', 'x\r\n', 'x']) {
      expect(await breakOf([first, line])).toMatchObject({ reason: 'MALFORMED_LINE', detail: `invalid JSON: ${jsonError('x')}`, line: 2 });
    }
  });

  it('refuses a line break inside a line instead of joining the text around it', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'permit', permitNumber: 'EXP-2' });
    expect(await verifyNdjson(lines)).toMatchObject({ valid: true });
    // A raw line break inside a JSON string is invalid JSON; left out, the event would be the one stored.
    const split = lines[1].replace('"stream":"permit-EXP-2"', '"stream":"permit-EX\r\nP-2"');
    expect(split).not.toBe(lines[1]);
    const tampered = [...lines];
    tampered[1] = split;
    expect(await breakOf(tampered)).toMatchObject({
      reason: 'MALFORMED_LINE',
      detail: `invalid JSON: ${jsonError(split.slice(0, -1))}`,
      line: 2,
    });
  });

  it('skips lines of whitespace only', async () => {
    const lines = await exportNdjson(ledger(), { kind: 'ledger' });
    expect(await verifyNdjson([lines[0], '   \n', '\t\r\n', ...lines.slice(1)], { publicKey })).toMatchObject({ valid: true, lines: 13 });
  });

  it('reads a ledger export in pages that end at the head', async () => {
    const b = new LedgerBuilder();
    for (let i = 0; i < 100; i++) b.add(`permit-${i % 3}`, 'PermitIssued', { i });
    const store = fakeStore(b.events);
    expect(await collect(exportEvents(store, { kind: 'ledger' }))).toHaveLength(100);
    expect(store.reads).toHaveLength(2);
  });
});

/** The message JSON.parse gives for a text (it varies with the engine). */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as SyntaxError).message;
  }
}
