import type { Dated, DestinationEvent } from '../events.js';

/** Test data for the Turkey story (domain.md "Fixture"): dates are public record, ids and wording invented. */

/** Midnight UTC of a date: measures take effect at the start of the day they were announced. */
export const day = (date: string): string => `${date}T00:00:00.000Z`;
/** Noon UTC of a date: ordinary commands, away from the day boundaries the rules care about. */
export const noon = (date: string): string => `${date}T12:00:00.000Z`;

export const TR_HALT_2019 = 'TR-2019-10-11';
export const TR_NTE_992 = 'TR-NtE-992';
export const NATO = 'nato_cooperation';

export const trMeasureHistory: Dated<DestinationEvent>[] = [
  {
    type: 'DestinationMeasureImposed',
    effectiveAt: day('2019-10-11'),
    data: {
      country: 'TR',
      measureId: TR_HALT_2019,
      kind: 'issuance_suspended',
      eclGroups: null,
      exceptionGrounds: [],
      reference: 'Ministerial statement of 2019-10-11',
      reason: 'Military operation in north-eastern Syria',
    },
  },
  {
    type: 'DestinationMeasureLifted',
    effectiveAt: day('2020-04-16'),
    data: { country: 'TR', measureId: TR_HALT_2019, reference: 'NtE 992', reason: 'Replaced by a presumptive denial' },
  },
  {
    type: 'DestinationMeasureImposed',
    effectiveAt: day('2020-04-16'),
    data: {
      country: 'TR',
      measureId: TR_NTE_992,
      kind: 'presumptive_denial',
      eclGroups: [2],
      exceptionGrounds: [NATO],
      reference: 'NtE 992',
      reason: 'Group 2 applications presumptively denied, except exceptional circumstances',
    },
  },
  {
    type: 'DestinationMeasureLifted',
    effectiveAt: day('2024-01-29'),
    data: { country: 'TR', measureId: TR_NTE_992, reference: 'NtE 1108', reason: 'Case-by-case review with new end-use assurances' },
  },
];
