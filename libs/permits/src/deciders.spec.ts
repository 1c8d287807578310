import { describe, expect, it } from '@jest/globals';
import type { DestinationCommand, PermitCommand } from './commands.js';
import { applicationDecider } from './application-decider.js';
import { foldStream, type StoredEvent } from './decider.js';
import { decisionDecider, destinationDecider, permitDecider } from './deciders.js';
import { DECISION_EVENT_SCHEMA_VERSIONS } from './decision.js';
import { initialDestinationState } from './destination.js';
import { EVENT_SCHEMA_VERSIONS, type DestinationEvent, type PermitEvent } from './events.js';
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

  it('each write the event types of their stream, none below version 1 (PermitIssued is at 2)', () => {
    const types = (d: { schemaVersions: Readonly<Record<string, number>> }) => Object.keys(d.schemaVersions);
    expect(types(permitDecider)).toEqual([
      'PermitIssued',
      'PermitAmended',
      'PermitSuspended',
      'PermitReinstated',
      'PermitReviewOpened',
      'PermitReviewFindingRecorded',
      'PermitReviewConcluded',
      'PermitCancelled',
      'PermitExpired',
      'ShipmentRecorded',
      'PermitExhausted',
    ]);
    expect(types(destinationDecider)).toEqual(['DestinationMeasureImposed', 'DestinationMeasureLifted']);
    expect(types(decisionDecider)).toEqual([
      'DecisionRecorded',
      'DecisionTargetsResolved',
      'DecisionPermitApplied',
      'DecisionPermitSkipped',
      'DecisionPermitFailed',
      'DecisionCompleted',
    ]);
    expect(types(applicationDecider)).toEqual([
      'ApplicationSubmitted',
      'ApplicationPlacedOnHold',
      'ApplicationReleasedFromHold',
      'ApplicationApproved',
      'ApplicationRefused',
      'ApplicationWithdrawn',
    ]);
    for (const decider of [permitDecider, destinationDecider, decisionDecider, applicationDecider]) {
      for (const version of Object.values<number>(decider.schemaVersions)) expect(version).toBeGreaterThanOrEqual(1);
    }
    expect(permitDecider.schemaVersions.PermitIssued).toBe(2);
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

  it('upcast destination and decision events as stored, dated by their envelope', () => {
    const [imposed] = stored(trMeasureHistory);
    expect(destinationDecider.upcast(imposed!)).toEqual(trMeasureHistory[0]);
    const completed: StoredEvent = {
      type: 'DecisionCompleted',
      schemaVersion: 1,
      data: { decisionRef: 'MIN-2021-04-12', applied: 0, skipped: 0, failed: 0 },
      effectiveAt: day('2021-04-12'),
    };
    expect(decisionDecider.upcast(completed)).toEqual({
      type: 'DecisionCompleted',
      data: { decisionRef: 'MIN-2021-04-12', applied: 0, skipped: 0, failed: 0 },
      effectiveAt: day('2021-04-12'),
    });
  });

  describe('when events take effect', () => {
    const N = 'EXP-20-005190';
    const issuedAt = '2020-06-10T12:00:00.000Z';
    const permit = foldStream(permitDecider, N, [
      {
        type: 'PermitIssued',
        schemaVersion: 2,
        effectiveAt: issuedAt,
        data: {
          permitNumber: N,
          destination: 'TR',
          exporter: { name: 'Northfield Optronics Inc.' },
          consignee: { name: 'Anadolu UAV Systems' },
          endUser: { name: 'Anadolu UAV Systems' },
          intendedEndUse: 'integration',
          items: [{ eclItem: '2-15.a', description: 'sensor', quantity: 6, unit: 'unit', valueCad: 1 }],
          totalValueCad: 1,
          validFrom: '2020-06-01',
          expiresOn: '2022-06-01',
          conditions: [],
          exceptionGround: null,
          supersedes: null,
        },
      },
    ]);
    const declaredAt = '2020-06-20T09:30:00.000Z';
    const ship = (exportedOn: string): PermitCommand => ({
      type: 'RecordShipment',
      effectiveAt: declaredAt,
      data: { permitNumber: N, declarationRef: 'D-1', lines: [{ item: 0, quantity: 6, valueCad: 1 }], exportedOn },
    });
    const exhausted: PermitEvent = { type: 'PermitExhausted', data: { permitNumber: N } };
    const at = (event: PermitEvent, command: PermitCommand) => permitDecider.effectiveAt(event, command, permit);

    it('a permit expires at the start of its expiresOn date, whenever the expiry is recorded', () => {
      const expire: PermitCommand = { type: 'ExpirePermit', effectiveAt: '2022-06-03T08:00:00.000Z', data: { permitNumber: N } };
      expect(at({ type: 'PermitExpired', data: { permitNumber: N, expiresOn: '2022-06-01' } }, expire)).toBe(day('2022-06-01'));
    });

    it('a shipment at the start of the day it was exported, however late it is declared', () => {
      const lines = [{ item: 0, quantity: 6, valueCad: 1 }];
      const recorded: PermitEvent = {
        type: 'ShipmentRecorded',
        data: { permitNumber: N, declarationRef: 'D-1', lines, exportedOn: '2020-06-15' },
      };
      expect(at(recorded, ship('2020-06-15'))).toBe(day('2020-06-15'));
      // Exported on the day of issue, declared since: the shipment still left that morning.
      expect(at({ ...recorded, data: { ...recorded.data, exportedOn: '2020-06-10' } } as PermitEvent, ship('2020-06-10'))).toBe(
        day('2020-06-10'),
      );
    });

    it('the exhaustion it brings about at the later of that day and the last effective time', () => {
      expect(at(exhausted, ship('2020-06-15'))).toBe(day('2020-06-15'));
      // Exported on the day of issue, before it was recorded at noon: the permit is exhausted from its issuance on.
      expect(at(exhausted, ship('2020-06-10'))).toBe(issuedAt);
      expect(permitDecider.effectiveAt(exhausted, ship('2020-06-10'), permitDecider.initialState(N))).toBe(day('2020-06-10'));
      // The same instant written with an offset: the day's start, in the UTC form every effective time takes.
      const atMidnight = { ...permit, lastEffectiveAt: '2020-06-10T02:00:00.000+02:00' };
      expect(permitDecider.effectiveAt(exhausted, ship('2020-06-10'), atMidnight)).toBe(day('2020-06-10'));
    });

    it('anything else, an exhaustion by amendment included, at the command time', () => {
      const amend: PermitCommand = {
        type: 'AmendPermit',
        effectiveAt: declaredAt,
        data: { permitNumber: N, changes: { expiresOn: '2023-06-01' }, reason: 'r' },
      };
      expect(at(exhausted, amend)).toBe(declaredAt);
      expect(at({ type: 'PermitSuspended', data: { permitNumber: N, reason: 'r', legalBasis: 'b', decisionRef: null } }, amend)).toBe(
        declaredAt,
      );
      const imposed = { type: 'DestinationMeasureImposed', data: {} } as DestinationEvent;
      const command = { type: 'ImposeDestinationMeasure', effectiveAt: declaredAt } as DestinationCommand;
      expect(destinationDecider.effectiveAt(imposed, command, destinationDecider.initialState('TR'))).toBe(declaredAt);
    });
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
      expect(context.fold(suspend, [])).toEqual({ destination: initialDestinationState('') });
      expect(context.fold(issue, [])).toEqual({ destination: initialDestinationState('TR') });
    });
  });
});
