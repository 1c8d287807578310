import type { EventMetadata, RecordedEvent } from '@permit-ledger/event-store';
import type { DestinationEvent, PermitEvent, PermitItem } from '@permit-ledger/permits';
import { trPermit } from '@permit-ledger/story';
import Database from 'better-sqlite3';
import type { Projection } from '../read-model/projection.js';
import type { ReadModelDb } from '../read-model/read-model-db.js';

type Meta = Partial<EventMetadata> & { at?: string; schemaVersion?: number };
type DataOf<T extends (PermitEvent | DestinationEvent)['type']> = Extract<PermitEvent | DestinationEvent, { type: T }>['data'];

/** ISO date -> the timestamp the service records for it. */
const ts = (at: string): string => (at.length === 10 ? `${at}T00:00:00.000Z` : at);

/**
 * Builds RecordedEvents the way the store would number them: a gap-free global position and a
 * per-stream revision. Times are given as `at` (effectiveAt); recordedAt follows the position.
 */
export class TestLog {
  readonly events: RecordedEvent[] = [];
  private readonly revisions = new Map<string, number>();

  record(stream: string, type: string, data: Record<string, unknown>, meta: Meta = {}): RecordedEvent {
    const revision = (this.revisions.get(stream) ?? -1) + 1;
    this.revisions.set(stream, revision);
    const position = this.events.length + 1;
    const previous = [...this.events].reverse().find((e) => e.stream === stream);
    const { at, schemaVersion, ...metadata } = meta;
    const event: RecordedEvent = {
      eventId: `evt-${position}`,
      type,
      schemaVersion: schemaVersion ?? 1,
      data,
      metadata: {
        effectiveAt: ts(at ?? '2020-01-01'),
        actor: { id: 'officer-1', role: 'officer' },
        commandId: `cmd-${position}`,
        correlationId: `corr-${position}`,
        causationId: null,
        ...metadata,
      },
      stream,
      revision,
      position,
      recordedAt: new Date(Date.UTC(2024, 0, 1) + position * 1000).toISOString(),
      prevHash: previous?.hash ?? null,
      hash: position.toString(16).padStart(64, '0'),
    };
    this.events.push(event);
    return event;
  }

  issued(permitNumber: string, overrides: Partial<DataOf<'PermitIssued'>> = {}, meta: Meta = {}): RecordedEvent {
    // The story's plain TR permit, as its PermitIssued records it.
    const { effectiveAt: _, ...permit } = trPermit();
    const items: PermitItem[] = overrides.items ?? permit.items;
    const data: DataOf<'PermitIssued'> = {
      permitNumber,
      ...permit,
      items,
      totalValueCad: items.reduce((sum, i) => sum + i.valueCad, 0),
      exceptionGround: null,
      supersedes: null,
      ...overrides,
    };
    return this.record(`permit-${permitNumber}`, 'PermitIssued', data, meta);
  }

  amended(permitNumber: string, changes: DataOf<'PermitAmended'>['changes'], totalValueCad: number, meta: Meta = {}) {
    return this.record(`permit-${permitNumber}`, 'PermitAmended', { permitNumber, changes, totalValueCad, reason: 'amendment' }, meta);
  }

  suspended(permitNumber: string, meta: Meta & { dataDecisionRef?: string } = {}) {
    const { dataDecisionRef, ...rest } = meta;
    const data: DataOf<'PermitSuspended'> = {
      permitNumber,
      reason: 'review of permits to Turkey',
      legalBasis: 'EIPA s.10(1)',
      decisionRef: dataDecisionRef ?? null,
    };
    return this.record(`permit-${permitNumber}`, 'PermitSuspended', data, { actor: { id: 'minister-1', role: 'minister' }, ...rest });
  }

  reinstated(permitNumber: string, meta: Meta = {}) {
    const data: DataOf<'PermitReinstated'> = {
      permitNumber,
      reason: 'review found no breach',
      legalBasis: 'EIPA s.10(1)',
      decisionRef: null,
    };
    return this.record(`permit-${permitNumber}`, 'PermitReinstated', data, { actor: { id: 'minister-1', role: 'minister' }, ...meta });
  }

  reviewOpened(permitNumber: string, reviewId: string, meta: Meta = {}) {
    const data: DataOf<'PermitReviewOpened'> = { permitNumber, reviewId, reason: 'end-use concerns', decisionRef: null };
    return this.record(`permit-${permitNumber}`, 'PermitReviewOpened', data, meta);
  }

  findingRecorded(permitNumber: string, reviewId: string, meta: Meta = {}) {
    const data: DataOf<'PermitReviewFindingRecorded'> = {
      permitNumber,
      reviewId,
      finding: 'sensors identified on drones used in Nagorno-Karabakh',
      theatre: 'Nagorno-Karabakh',
      evidenceRef: 'EV-1',
      assuranceBreached: true,
    };
    return this.record(`permit-${permitNumber}`, 'PermitReviewFindingRecorded', data, meta);
  }

  reviewConcluded(permitNumber: string, reviewId: string, meta: Meta = {}) {
    const data: DataOf<'PermitReviewConcluded'> = {
      permitNumber,
      reviewId,
      outcome: 'cancellation_recommended',
      summary: 'assurances breached',
    };
    return this.record(`permit-${permitNumber}`, 'PermitReviewConcluded', data, { actor: { id: 'minister-1', role: 'minister' }, ...meta });
  }

  cancelled(permitNumber: string, meta: Meta = {}) {
    const data: DataOf<'PermitCancelled'> = {
      permitNumber,
      reason: 'use inconsistent with end-use assurances',
      legalBasis: 'EIPA s.10(1)',
      decisionRef: null,
      reviewId: null,
    };
    return this.record(`permit-${permitNumber}`, 'PermitCancelled', data, { actor: { id: 'minister-1', role: 'minister' }, ...meta });
  }

  expired(permitNumber: string, expiresOn: string, meta: Meta = {}) {
    const data: DataOf<'PermitExpired'> = { permitNumber, expiresOn };
    return this.record(`permit-${permitNumber}`, 'PermitExpired', data, {
      actor: { id: 'scheduler', role: 'system' },
      at: expiresOn,
      ...meta,
    });
  }

  measureImposed(country: string, measureId: string, overrides: Partial<DataOf<'DestinationMeasureImposed'>> = {}, meta: Meta = {}) {
    const data: DataOf<'DestinationMeasureImposed'> = {
      country,
      measureId,
      kind: 'issuance_suspended',
      eclGroups: null,
      exceptionGrounds: [],
      reference: 'ministerial statement',
      reason: 'military operation in north-eastern Syria',
      ...overrides,
    };
    return this.record(`destination-${country}`, 'DestinationMeasureImposed', data, {
      actor: { id: 'minister-1', role: 'minister' },
      ...meta,
    });
  }

  measureLifted(country: string, measureId: string, reference: string, meta: Meta = {}) {
    const data: DataOf<'DestinationMeasureLifted'> = { country, measureId, reference, reason: 'superseded' };
    return this.record(`destination-${country}`, 'DestinationMeasureLifted', data, {
      actor: { id: 'minister-1', role: 'minister' },
      ...meta,
    });
  }
}

/** An in-memory read-model db with the projections' tables. */
export function memoryDb(...projections: Projection[]): ReadModelDb {
  const db = new Database(':memory:');
  for (const p of projections) p.setup(db);
  return db;
}

/** Applies events as the projector does: one transaction. */
export function applyAll(db: ReadModelDb, projection: Projection, events: RecordedEvent[]): void {
  db.transaction(() => {
    for (const e of events) projection.apply(db, e);
  })();
}

/** Every row of the tables, in a stable order: for "same events, same rows" comparisons. */
export function dumpTables(db: ReadModelDb, tables: string[]): Record<string, unknown[]> {
  const dump: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = db.prepare(`SELECT * FROM ${table}`).all();
    dump[table] = rows
      .map((r) => JSON.stringify(r))
      .sort()
      .map((r) => JSON.parse(r) as unknown);
  }
  return dump;
}
