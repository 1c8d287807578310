import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import {
  csvLines,
  EVENT_STORE,
  exportEvents,
  withCountedLeaves,
  withLookedUpLeaves,
  ExportScopeNotFoundError,
  LedgerVerifier,
  ndjsonLines,
  type EventStore,
  type ExportScope,
} from '@permit-ledger/event-store';
import type { AuthenticatedRequest } from '../platform/auth/auth.guard.js';
import { Public, Roles } from '../platform/auth/roles.js';
import type { Clock, AppConfig } from '@permit-ledger/config';
import { CLOCK, APP_CONFIG } from '../platform/store/tokens.js';
import { LedgerKeys } from './ledger-keys.js';
import { TRANSPARENCY_LOG, type TransparencyLog } from './transparency-log.js';
import { ExportQueryDto, LedgerVerifyQueryDto } from './ledger.dto.js';
import { LedgerVerificationView } from './ledger-views.js';
import { ApiAnswer, ApiRead } from '../platform/http/openapi.js';
import { ProblemException } from '../platform/errors/problem.js';
import { NoTimeout } from '../platform/http/timeout.interceptor.js';
import { invalidInput } from '../platform/errors/application-error.js';

/**
 * Events read at once. A store read is synchronous on SQLite and events may be large (a permit of 200 items
 * is ~33 KB): reading 1000 of them held the event loop for 90-125 ms, 50 for 3-8 ms; and an export holds one page.
 */
const PAGE = 50;
/** Work between two turns of the event loop: other requests (and /health/live) wait about this long, plus a page read. */
const SLICE_MS = 5;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Yields a turn of the event loop once SLICE_MS of work has passed since the last one. */
function timeSlicer(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < SLICE_MS) return undefined;
    return yieldToLoop().then(() => {
      since = performance.now();
    });
  };
}

/**
 * Long-running work held to one per token subject (else 429 CONCURRENCY_LIMIT) and to `max()` in all
 * (else 503 BUSY), both with Retry-After: seconds of CPU or an open stream are not queued without end.
 */
class Slots {
  private readonly subjects = new Set<string>();

  constructor(
    private readonly what: string,
    private readonly max: () => number,
  ) {}

  /** Takes the subject's slot, or throws; answers the function that frees it. */
  take(subject: string): () => void {
    if (this.subjects.has(subject)) {
      throw new ProblemException(429, 'CONCURRENCY_LIMIT', `one ${this.what} at a time per subject`, {}, { 'Retry-After': '5' });
    }
    if (this.subjects.size >= this.max()) {
      throw new ProblemException(503, 'BUSY', `${this.max()} ${this.what}s are running, the most at once`, {}, { 'Retry-After': '5' });
    }
    this.subjects.add(subject);
    return () => this.subjects.delete(subject);
  }
}

/** Resolves true once `res` can take more, false when it closes or `ms` pass first (a reader that stopped reading). */
function drained(res: Response, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** The whole ledger, for auditors: its signing key, its verification, its export. */
@ApiTags('ledger')
@Controller('ledger')
export class LedgerController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: LedgerKeys,
    @Inject(TRANSPARENCY_LOG) private readonly log: TransparencyLog,
  ) {}

  /** Whole-ledger verifications running: one per subject, LEDGER_VERIFY_MAX_CONCURRENT in all. */
  private readonly verifying = new Slots('ledger verification', () => this.config.ledgerVerifyMaxConcurrent);
  /** Exports streaming: one per subject, LEDGER_EXPORT_MAX_CONCURRENT in all. */
  private readonly exporting = new Slots('ledger export', () => this.config.ledgerExportMaxConcurrent);

  /** The Ed25519 public key that verifies anchor signatures: public by nature. */
  @Get('public-key')
  @Public()
  @ApiRead({
    summary: "The ledger's Ed25519 public key",
    description:
      'The key that verifies the signatures of ledger anchors (SPKI PEM). Obtain it once through a channel you trust and compare `X-Key-Id`.',
    roles: 'public',
  })
  @ApiProduces('application/x-pem-file')
  @ApiOkResponse({
    description: 'The public key, PEM.',
    content: {
      'application/x-pem-file': { schema: { type: 'string', example: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n' } },
    },
    headers: {
      'X-Key-Id': {
        description: "SHA-256 (hex) of the key's SPKI DER: the anchors' `keyId`.",
        schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      },
    },
  })
  publicKey(@Res() res: Response) {
    res.setHeader('X-Key-Id', this.keys.keyId());
    res.type('application/x-pem-file').send(this.keys.publicKeyPem());
  }

  /**
   * Recomputes every event's hash, every stream's chain, the running hash of the log and every anchor
   * (with its signature when a key is configured) from the start of the log up to `to`. `from` only
   * narrows what is counted as checked: the chains before it are recomputed, and a break there is reported.
   */
  @Get('verify')
  @Roles('auditor')
  @ApiRead({
    summary: 'Verify the whole ledger',
    description:
      "Recomputes every event's hash, every stream's chain, the running hash of the log and every anchor (with its signature when a key is configured), " +
      'from the start of the log up to `to`; `from` only narrows what is counted as checked. ' +
      'One verification at a time per token subject (else 429 `CONCURRENCY_LIMIT`) and LEDGER_VERIFY_MAX_CONCURRENT in all (else 503 `BUSY`), both with `Retry-After`.',
    roles: ['auditor'],
    problems: ['CONCURRENCY_LIMIT', 'STORE_UNAVAILABLE', 'BUSY'],
  })
  @ApiAnswer(200, LedgerVerificationView)
  async verify(
    @Query() query: LedgerVerifyQueryDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<LedgerVerificationView | undefined> {
    const { from = 0, to = Number.MAX_SAFE_INTEGER } = query;
    if (from > to) throw invalidInput([{ field: 'from', messages: ['from must not be after to'] }]);
    // Seconds of CPU on a large ledger: bounded per subject and in all, rather than queued without end.
    const free = this.verifying.take(req.caller!.sub);
    // Stop working for a client that is gone, or that the request timeout has already answered.
    let abandoned = false;
    res.on('close', () => (abandoned = true));
    try {
      // The verifier key names the origin too: a checkpoint this key signed under another origin is not this log's.
      const verifier = new LedgerVerifier({ publicKey: this.keys.publicKey, verifierKey: this.keys.verifierKey() });
      // The store's reads resolve at once: without a real turn of the loop, nothing else (not even
      // /health/live) would be answered until the whole ledger is verified. By time, not by count: events vary 1000-fold in size.
      const slice = timeSlicer();
      let inRange = 0;
      let after = 0;
      for (;;) {
        const page = await this.store.readAll({ after, maxCount: PAGE });
        for (const event of page) {
          if (event.position > to) break;
          verifier.push(event);
          if (event.position >= from) inRange++;
          const turn = slice();
          if (turn) {
            await turn;
            if (abandoned) return undefined;
          }
        }
        if (page.length < PAGE || page[page.length - 1].position > to) break;
        after = page[page.length - 1].position;
      }
      const result = verifier.finish();
      return { ...result, from, to: to === Number.MAX_SAFE_INTEGER ? null : to, checkedInRange: inRange };
    } finally {
      free();
    }
  }

  /** NDJSON (verifiable with `permit-cli verify --file`) or CSV, streamed: the ledger, one permit, or one decision's permits. */
  @Get('export')
  @Roles('auditor')
  @NoTimeout()
  @ApiRead({
    summary: 'Export the ledger, a permit or a decision',
    description:
      'Streamed as NDJSON (verifiable offline with `permit-cli verify --file`) or CSV (for reading): the whole ledger, one permit (`permitNumber`) ' +
      'or one decision and its permits (`decisionRef`). Not bound by the request timeout, but cut when the reader takes nothing for EXPORT_IDLE_TIMEOUT_MS. ' +
      'One export at a time per token subject (else 429 `CONCURRENCY_LIMIT`) and LEDGER_EXPORT_MAX_CONCURRENT in all (else 503 `BUSY`), both with `Retry-After`.',
    roles: ['auditor'],
    timeout: false,
    problems: ['EXPORT_SCOPE_NOT_FOUND', 'CONCURRENCY_LIMIT', 'STORE_UNAVAILABLE', 'BUSY'],
  })
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiOkResponse({
    description: 'The export, one event (or CSV row) per line.',
    content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } },
    headers: { 'Content-Disposition': { description: 'attachment; filename="<scope>.<format>"', schema: { type: 'string' } } },
  })
  async export(@Query() query: ExportQueryDto, @Req() req: AuthenticatedRequest, @Res() res: Response) {
    if (query.permitNumber && query.decisionRef) {
      throw invalidInput([{ field: 'permitNumber', messages: ['name a permit or a decision, not both'] }]);
    }
    // An open stream holds a page of events and the store's reads: bounded per subject and in all.
    const free = this.exporting.take(req.caller!.sub);
    try {
      await this.stream(query, res);
    } finally {
      free();
    }
  }

  /**
   * Writes the export line by line, honouring back-pressure: a line is written only once the client has
   * taken the last (so at most a page of events and one line wait in memory), and a client that takes
   * nothing for EXPORT_IDLE_TIMEOUT_MS, or goes away, ends the export and its reads.
   */
  private async stream(query: ExportQueryDto, res: Response) {
    const scope: ExportScope = query.permitNumber
      ? { kind: 'permit', permitNumber: query.permitNumber }
      : query.decisionRef
        ? { kind: 'decision', decisionRef: query.decisionRef }
        : { kind: 'ledger' };
    const format = query.format ?? 'ndjson';
    // Leaves: counted for the whole ledger (it is read from its first event), looked up in the tree otherwise.
    const read = exportEvents(this.store, scope);
    const events =
      scope.kind === 'ledger' ? withCountedLeaves(read) : withLookedUpLeaves(read, (positions) => this.log.leavesOf(positions));
    const lines = format === 'csv' ? csvLines(events) : ndjsonLines(scope, events, { exportedAt: this.clock().toISOString() });
    const name = scope.kind === 'ledger' ? 'ledger' : scope.kind === 'permit' ? scope.permitNumber : scope.decisionRef;
    res.status(200);
    res.type(format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="${name}.${format}"`);
    const slice = timeSlicer();
    try {
      for await (const line of lines) {
        if (res.destroyed) break;
        if (!res.write(line.endsWith('\n') ? line : `${line}\n`)) {
          if (!(await drained(res, this.config.exportIdleTimeoutMs))) {
            // Cut, not ended: the file has no trailer and fails verification rather than looks complete.
            res.destroy();
            break;
          }
        }
        // 'drain' comes on the next tick when the socket took the line at once: only a real turn lets other requests in.
        await slice();
      }
      if (!res.destroyed) res.end();
    } catch (error) {
      if (error instanceof ExportScopeNotFoundError) throw new ProblemException(404, 'EXPORT_SCOPE_NOT_FOUND', error.message);
      // Headers are gone once streaming started: cut the stream so the file fails verification rather than looks complete.
      if (!res.headersSent) throw error;
      res.destroy(error as Error);
    }
  }
}
