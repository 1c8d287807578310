import { describe, expect, it } from '@jest/globals';
import { CRITERIA, CRITERIA_VERSION, isCriterionCode } from './criteria.js';

/** The reference list as published (GET /criteria): each code with the provision of the EIPA it stands for. */
const PUBLISHED: Record<string, string> = {
  PEACE_AND_SECURITY: 'EIPA s.7.3(1)(a)',
  IHL_VIOLATION: 'EIPA s.7.3(1)(b)(i)',
  IHRL_VIOLATION: 'EIPA s.7.3(1)(b)(ii)',
  TERRORISM: 'EIPA s.7.3(1)(b)(iii)',
  ORGANIZED_CRIME: 'EIPA s.7.3(1)(b)(iv)',
  GENDER_BASED_VIOLENCE: 'EIPA s.7.3(1)(b)(v)',
  SUBSTANTIAL_RISK: 'EIPA s.7.4',
  END_USE_ASSURANCE_BREACH: 'EIPA s.10(1)',
};

describe('assessment criteria', () => {
  it('are version 1 of the list: its codes, in order, each citing its provision', () => {
    expect(CRITERIA_VERSION).toBe(1);
    expect(CRITERIA.map((c) => [c.code, c.source])).toEqual(Object.entries(PUBLISHED));
  });

  it('say what each criterion is, each in its own words', () => {
    const texts = CRITERIA.map((c) => c.text.trim());
    for (const text of texts) expect(text.length).toBeGreaterThan(20);
    expect(new Set(texts).size).toBe(CRITERIA.length);
  });

  it('recognise exactly the listed codes', () => {
    for (const code of Object.keys(PUBLISHED)) expect(isCriterionCode(code)).toBe(true);
    for (const other of ['ihl_violation', 'IHL', '', ' IHL_VIOLATION', 'EIPA s.7.4', undefined, null, 7, ['IHL_VIOLATION']]) {
      expect(isCriterionCode(other)).toBe(false);
    }
  });
});
