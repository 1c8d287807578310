/**
 * Exports of the ledger for auditors, streamed page by page (never the whole log in memory):
 *
 * - NDJSON (verifiable): a header line `{"format":"permit-ledger/export","version":1,"scope":…,"exportedAt":…}`,
 *   one line per event (the RecordedEvent exactly as stored), then a trailer `{"end":true,"count":n}`.
 *   `verifyNdjson` checks such a file offline: a 'ledger' export with the running hash and anchors
 *   (scope 'ledger' of LedgerVerifier: also every v2 anchor's signed checkpoint, against the RFC 9162 tree it
 *   rebuilds while reading), a permit's or a decision's with the chains of its streams only.
 *   The header is not signed: an auditor must read the `scope` the verification reports, and
 *   `anchorsChecked` / `unanchored` for a ledger export.
 * - CSV (for spreadsheets, not for verification): see csvLines.
 */
import type { KeyObject } from 'node:crypto';
import type { RecordedEvent } from '../port/envelope.js';
import type { EventStore } from '../port/port.js';
import { LedgerVerifier, type LedgerBreak, type LedgerVerification } from './ledger-verifier.js';
import { isChained } from './anchor.js';

export type ExportScope = { kind: 'ledger' } | { kind: 'permit'; permitNumber: string } | { kind: 'decision'; decisionRef: string };

export const EXPORT_FORMAT = 'permit-ledger/export';
export const EXPORT_VERSION = 1;

export interface ExportHeader {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  scope: ExportScope;
  exportedAt: string;
}

export interface ExportTrailer {
  end: true;
  count: number;
}

/** The permit or decision of a scope has no events. */
export class ExportScopeNotFoundError extends Error {
  readonly code = 'EXPORT_SCOPE_NOT_FOUND';
  constructor(readonly scope: Exclude<ExportScope, { kind: 'ledger' }>) {
    super(scope.kind === 'permit' ? `permit ${scope.permitNumber} has no events` : `decision ${scope.decisionRef} has no events`);
    this.name = 'ExportScopeNotFoundError';
  }
}

/** Events read at once: one page is what an export holds in memory (a large event is ~33 KB), and on SQLite a read is synchronous. */
const PAGE = 50;

// Stream names and the decision event of libs/permits (streams.ts, decision.ts), spelled out here
// because the store library does not depend on the domain.
const permitStream = (permitNumber: string) => `permit-${permitNumber}`;
const decisionStream = (decisionRef: string) => `decision-${decisionRef}`;
const TARGETS_RESOLVED = 'DecisionTargetsResolved';

/**
 * The events of a scope, read page by page. 'ledger': the log up to the head at the start (so an
 * export of a busy store ends); 'permit': its stream; 'decision': the decision's stream, then the
 * stream of each permit its DecisionTargetsResolved event lists. A missing permit or decision throws
 * ExportScopeNotFoundError on the first next().
 */
export async function* exportEvents(store: EventStore, scope: ExportScope): AsyncGenerator<RecordedEvent> {
  switch (scope.kind) {
    case 'ledger': {
      const head = await store.headPosition();
      let after = 0;
      while (after < head) {
        const page = await store.readAll({ after, maxCount: PAGE });
        if (page.length === 0) return;
        for (const event of page) {
          if (event.position > head) return;
          yield event;
        }
        after = page[page.length - 1].position;
      }
      return;
    }
    case 'permit': {
      let any = false;
      for await (const event of readStreamPaged(store, permitStream(scope.permitNumber))) {
        any = true;
        yield event;
      }
      if (!any) throw new ExportScopeNotFoundError(scope);
      return;
    }
    case 'decision': {
      const targets = new Set<string>();
      let any = false;
      for await (const event of readStreamPaged(store, decisionStream(scope.decisionRef))) {
        any = true;
        if (event.type === TARGETS_RESOLVED) {
          for (const n of (event.data.permitNumbers as unknown[] | undefined) ?? []) if (typeof n === 'string') targets.add(n);
        }
        yield event;
      }
      if (!any) throw new ExportScopeNotFoundError(scope);
      for (const permitNumber of targets) yield* readStreamPaged(store, permitStream(permitNumber));
      return;
    }
    default:
      throw new RangeError(`unknown export scope ${JSON.stringify(scope)}`);
  }
}

async function* readStreamPaged(store: EventStore, stream: string): AsyncGenerator<RecordedEvent> {
  let from = 0;
  for (;;) {
    const page = await store.readStream(stream, { fromRevision: from, maxCount: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    from = page[page.length - 1].revision + 1;
  }
}

/** An exported event: its leaf in the ledger's Merkle tree (null: an anchor, or not in the tree yet), when known. */
export type ExportedEvent = RecordedEvent & { leaf?: number | null };

/**
 * The events of a whole-ledger export with their leaves, counted: the export starts at the log's first event, and
 * leaves are every event but the ledger's own anchors, in log order.
 */
export async function* withCountedLeaves(events: AsyncIterable<RecordedEvent>): AsyncGenerator<ExportedEvent> {
  let leaves = 0;
  for await (const event of events) yield { ...event, leaf: isChained(event) ? leaves++ : null };
}

/** The events with their leaves looked up a page at a time (a stream or a decision's export). */
export async function* withLookedUpLeaves(
  events: AsyncIterable<RecordedEvent>,
  leavesOf: (positions: number[]) => Promise<Map<number, number | null>>,
): AsyncGenerator<ExportedEvent> {
  let page: RecordedEvent[] = [];
  const flush = async function* () {
    const leaves = await leavesOf(page.map((e) => e.position));
    for (const event of page) yield { ...event, leaf: leaves.get(event.position) ?? null };
    page = [];
  };
  for await (const event of events) {
    page.push(event);
    if (page.length >= PAGE) yield* flush();
  }
  if (page.length > 0) yield* flush();
}

/** A RecordedEvent with its fields in a fixed, readable order, for JSON.stringify (which leaves out a leaf that is undefined). */
function eventRecord(e: ExportedEvent): ExportedEvent {
  return {
    position: e.position,
    leaf: e.leaf,
    stream: e.stream,
    revision: e.revision,
    eventId: e.eventId,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** An iterator over either kind of iterable, for pulling the first event by hand. */
function iteratorOf<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/**
 * Yields a header, each item formatted, then a trailer. The first item is pulled BEFORE the header,
 * so that a missing scope or an unreachable store fails before any line is out (an HTTP handler can
 * still answer with an error status).
 */
async function* framed<T>(
  source: AsyncIterable<T> | Iterable<T>,
  header: string,
  format: (item: T) => string,
  trailer?: (count: number) => string,
): AsyncGenerator<string> {
  const iterator = iteratorOf(source);
  let next = await iterator.next();
  let count = 0;
  try {
    yield header;
    for (; !next.done; next = await iterator.next()) {
      count += 1;
      yield format(next.value);
    }
  } finally {
    // The consumer stopped early (or a write failed): let the source release its reads (a no-op once it is done).
    await iterator.return?.();
  }
  if (trailer) yield trailer(count);
}

/** The NDJSON export, one string per line, each ending in "\n". Events are consumed as lines are pulled. */
export function ndjsonLines(
  scope: ExportScope,
  events: AsyncIterable<ExportedEvent> | Iterable<ExportedEvent>,
  meta: { exportedAt: string },
): AsyncGenerator<string> {
  const header: ExportHeader = { format: EXPORT_FORMAT, version: EXPORT_VERSION, scope, exportedAt: meta.exportedAt };
  return framed(
    events,
    JSON.stringify(header) + '\n',
    (event) => JSON.stringify(eventRecord(event)) + '\n',
    (count) => JSON.stringify({ end: true, count } satisfies ExportTrailer) + '\n',
  );
}

export const CSV_COLUMNS = [
  'position',
  'stream',
  'revision',
  'type',
  'schemaVersion',
  'effectiveAt',
  'recordedAt',
  'actorId',
  'actorRole',
  'executor',
  'reason',
  'legalBasis',
  'decisionRef',
  'data',
  'prevHash',
  'hash',
  'leaf',
] as const;

/**
 * One CSV cell (RFC 4180: quoted when it holds a quote, comma, CR or LF; quotes doubled).
 *
 * Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or CR, which some
 * strip first) as a formula, and reasons, names and data are free text written by users. Such text cells
 * get a leading single quote, which spreadsheets show as text; numbers are never text (-500 stays -500),
 * and a non-finite number (NaN, Infinity) is an empty cell. The CSV is therefore a reading copy,
 * not the record: verify with the NDJSON export.
 */
export function csvCell(value: unknown): string {
  // A number is a figure, written as one (a negative stays a number); one that is not finite has no figure to show.
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(cells: unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** The CSV export: a header, then one row per event; each line ends in CRLF (RFC 4180). */
export function csvLines(events: AsyncIterable<ExportedEvent> | Iterable<ExportedEvent>): AsyncGenerator<string> {
  return framed(events, csvRow([...CSV_COLUMNS]), csvEventRow);
}

function csvEventRow(e: ExportedEvent): string {
  const m = e.metadata;
  return csvRow([
    e.position,
    e.stream,
    e.revision,
    e.type,
    e.schemaVersion,
    m.effectiveAt,
    e.recordedAt,
    m.actor?.id,
    m.actor?.role,
    m.actor?.executor,
    m.reason,
    m.legalBasis,
    m.decisionRef,
    JSON.stringify(e.data),
    e.prevHash,
    e.hash,
    e.leaf,
  ]);
}

export interface NdjsonVerification extends LedgerVerification {
  /** The file's header when it could be read: its scope decides what was verified. */
  header?: ExportHeader;
  /** Lines read (up to the first break). */
  lines: number;
}

/**
 * Verifies an NDJSON export offline: the header, every event (LedgerVerifier with scope 'ledger'
 * for a ledger export, 'streams' otherwise), and the trailer's count. Never throws on bad input:
 * an unreadable line is MALFORMED_LINE with its line number, a missing trailer TRUNCATED, a trailer
 * whose count differs from the events read COUNT_MISMATCH. Lines may keep their "\n" or "\r\n";
 * empty lines are ignored.
 */
export async function verifyNdjson(
  lines: AsyncIterable<string> | Iterable<string>,
  options: { publicKey?: KeyObject; verifierKey?: string } = {},
): Promise<NdjsonVerification> {
  let lineNo = 0;
  let header: ExportHeader | undefined;
  let verifier: LedgerVerifier | undefined;
  let trailer: ExportTrailer | undefined;
  let trailerLine = 0;
  let events = 0;
  let brokenAt: number | undefined;
  const fileBreak = (reason: LedgerBreak['reason'], detail: string, line: number): LedgerBreak => ({
    position: -1,
    stream: '',
    revision: -1,
    reason,
    detail,
    line,
  });

  for await (const raw of lines) {
    lineNo += 1;
    const line = raw.replace(/\r?\n$/, '');
    if (line.trim() === '') continue;
    const parsed = parseJson(line);
    if (!header) {
      const problem = parsed.ok ? headerProblem(parsed.value) : parsed.error;
      if (problem) {
        // No event is checked: the verifier only reports the break, whatever its scope.
        verifier = new LedgerVerifier();
        verifier.fail(fileBreak('MALFORMED_LINE', `not an export header: ${problem}`, lineNo));
        break;
      }
      header = parsed.ok ? (parsed.value as ExportHeader) : undefined;
      verifier = new LedgerVerifier({
        publicKey: options.publicKey,
        verifierKey: options.verifierKey,
        scope: header!.scope.kind === 'ledger' ? 'ledger' : 'streams',
      });
      continue;
    }
    if (trailer) {
      verifier!.fail(fileBreak('MALFORMED_LINE', 'content after the trailer', lineNo));
      break;
    }
    if (!parsed.ok) {
      verifier!.fail(fileBreak('MALFORMED_LINE', parsed.error, lineNo));
      break;
    }
    const value = parsed.value as Record<string, unknown>;
    // A trailer is an object whose "end" is true (a number, string or boolean has no "end").
    if (value !== null && value.end === true) {
      if (!Number.isSafeInteger(value.count)) {
        verifier!.fail(fileBreak('MALFORMED_LINE', 'trailer without a count', lineNo));
        break;
      }
      trailer = value as unknown as ExportTrailer;
      trailerLine = lineNo;
      continue;
    }
    const problem = eventProblem(value);
    if (problem) {
      verifier!.fail(fileBreak('MALFORMED_LINE', problem, lineNo));
      break;
    }
    events += 1;
    verifier!.push(value as unknown as RecordedEvent);
    if (verifier!.broken) {
      brokenAt = lineNo;
      break;
    }
  }

  verifier ??= new LedgerVerifier(); // no line was read: nothing checked, whatever the scope
  if (!header) verifier.fail(fileBreak('MALFORMED_LINE', 'empty file', 1));
  else if (!trailer) verifier.fail(fileBreak('TRUNCATED', 'no trailer line: the export is incomplete', lineNo));
  else if (trailer.count !== events)
    verifier.fail(fileBreak('COUNT_MISMATCH', `trailer says ${trailer.count} events, the file holds ${events}`, trailerLine));
  const result = verifier.finish();
  // An event's break, found by the verifier: the line it was read from (a break of the file has its line already).
  if (brokenAt !== undefined) result.firstBroken!.line = brokenAt;
  return { ...result, ...(header ? { header } : {}), lines: lineNo };
}

function parseJson(line: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(line) };
  } catch (error) {
    return { ok: false, error: `invalid JSON: ${(error as SyntaxError).message}` };
  }
}

function headerProblem(value: unknown): string | undefined {
  const h = value as Partial<ExportHeader> | null;
  if (!h || typeof h !== 'object') return 'not an object';
  if (h.format !== EXPORT_FORMAT) return `format is not ${EXPORT_FORMAT}`;
  if (h.version !== EXPORT_VERSION) return `version ${String(h.version)} is not supported`;
  const s = h.scope as Record<string, unknown> | undefined;
  const scopeOk =
    !!s &&
    (s.kind === 'ledger' ||
      (s.kind === 'permit' && typeof s.permitNumber === 'string') ||
      (s.kind === 'decision' && typeof s.decisionRef === 'string'));
  return scopeOk ? undefined : 'unknown scope';
}

function eventProblem(value: unknown): string | undefined {
  const e = value as Record<string, unknown> | null;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return 'not an event object';
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const checks: Array<[string, boolean]> = [
    ['position', Number.isFinite(e.position)], // false for what is no number, too
    ['stream', typeof e.stream === 'string'],
    ['revision', Number.isSafeInteger(e.revision)],
    ['eventId', typeof e.eventId === 'string'],
    ['type', typeof e.type === 'string'],
    ['schemaVersion', Number.isSafeInteger(e.schemaVersion)],
    ['data', isObject(e.data)],
    ['metadata', isObject(e.metadata)],
    ['recordedAt', typeof e.recordedAt === 'string'],
    ['prevHash', e.prevHash === null || typeof e.prevHash === 'string'],
    ['hash', typeof e.hash === 'string'],
  ];
  const bad = checks.filter(([, ok]) => !ok).map(([field]) => field);
  return bad.length ? `event without a valid ${bad.join(', ')}` : undefined;
}
