import { describe, expect, it } from '@jest/globals';
import type { PermitCommand } from './commands.js';
import { foldStream, type StoredEvent } from './decider.js';
import { decisionDecider, destinationDecider, permitDecider } from './deciders.js';
import { DECISION_EVENT_SCHEMA_VERSIONS } from './decision.js';
import { EVENT_SCHEMA_VERSIONS } from './events.js';
import { day, trMeasureHistory } from './testing/fixture.js';
import { CURRENT_SCHEMA_VERSIONS } from './upcasters.js';

const stored = (events: typeof trMeasureHistory): StoredEvent[] =>
  events.map(({ type, data, effectiveAt }) => ({ type, schemaVersion: 1, data: { ...data }, effectiveAt }));

describe('the deciders, one per stream type', () => {
  it('name their streams and start from an empty state', () => {
    expect([
      permitDecider.streamName('EXP-19-004120'),
      destinationDecider.streamName('TR'),
      decisionDecider.streamName('MIN-2021-04-12'),
    ]).toEqual(['permit-EXP-19-004120', 'destination-TR', 'decision-MIN-2021-04-12']);
    expect(permitDecider.initialState('EXP-19-004120')).toEqual({ status: 'NONE' });
    expect(destinationDecider.initialState('TR')).toEqual({ country: 'TR', measures: [], lastEffectiveAt: null });
    expect(decisionDecider.initialState('MIN-2021-04-12')).toEqual({ status: 'NONE' });
  });

  it('write every event type at its current schema version, and share none', () => {
    const all = { ...permitDecider.schemaVersions, ...destinationDecider.schemaVersions, ...decisionDecider.schemaVersions };
    expect(all).toEqual(CURRENT_SCHEMA_VERSIONS);
    expect(all).toEqual({ ...EVENT_SCHEMA_VERSIONS, ...DECISION_EVENT_SCHEMA_VERSIONS });
    const counts = [permitDecider, destinationDecider, decisionDecider].map((d) => Object.keys(d.schemaVersions).length);
    expect(counts.reduce((a, b) => a + b)).toBe(Object.keys(all).length);
  });

  it('upcast a stored v1 PermitIssued to the current shape, dated by its envelope', () => {
    const v1: StoredEvent = {
      type: 'PermitIssued',
      schemaVersion: 1,
      data: { permitNumber: 'X', exporter: 'Legacy Ltd.' },
      effectiveAt: day('2017-01-01'),
    };
    expect(permitDecider.upcast(v1)).toEqual({
      type: 'PermitIssued',
      data: { permitNumber: 'X', exporter: { name: 'Legacy Ltd.' } },
      effectiveAt: day('2017-01-01'),
    });
  });

  it('fold a stream from its stored events', () => {
    const state = foldStream(destinationDecider, 'TR', stored(trMeasureHistory));
    expect(state.measures.map((m) => [m.measureId, m.liftedAt])).toEqual([
      ['TR-2019-10-11', day('2020-04-16')],
      ['TR-NtE-992', day('2024-01-29')],
    ]);
  });

  describe("the permit decider's context", () => {
    const context = permitDecider.context!;
    const issue = { type: 'IssuePermit', effectiveAt: day('2020-05-14'), data: { permitNumber: 'X', destination: 'TR' } } as PermitCommand;
    const suspend: PermitCommand = {
      type: 'SuspendPermit',
      effectiveAt: day('2020-10-05'),
      data: { permitNumber: 'X', reason: 'r', legalBasis: 'b' },
    };

    it('names the destination stream for issuance only', () => {
      expect(context.streams(issue)).toEqual(['destination-TR']);
      expect(context.streams(suspend)).toEqual([]);
    });

    it("folds the destination's stored events into what decide is given", () => {
      expect(context.fold(issue, [stored(trMeasureHistory)]).destination).toEqual(
        foldStream(destinationDecider, 'TR', stored(trMeasureHistory)),
      );
      expect(context.fold(suspend, []).destination.measures).toEqual([]);
    });
  });
});
