/**
 * The assessment criteria a refusal must cite and a suspension, cancellation or review finding may cite: the Arms
 * Trade Treaty criteria of EIPA s.7.3, the substantial-risk rule of s.7.4, and a breach of end-use assurances (the
 * ground of the 2021 cancellations). A versioned reference list: codes are never renamed or reused.
 */
export const CRITERIA_VERSION = 1;

export const CRITERIA = [
  { code: 'PEACE_AND_SECURITY', text: 'would undermine peace and security', source: 'EIPA s.7.3(1)(a)' },
  {
    code: 'IHL_VIOLATION',
    text: 'could be used to commit or facilitate a serious violation of international humanitarian law',
    source: 'EIPA s.7.3(1)(b)(i)',
  },
  {
    code: 'IHRL_VIOLATION',
    text: 'could be used to commit or facilitate a serious violation of international human rights law',
    source: 'EIPA s.7.3(1)(b)(ii)',
  },
  {
    code: 'TERRORISM',
    text: 'could be used to commit or facilitate an act constituting an offence under international conventions or protocols relating to terrorism',
    source: 'EIPA s.7.3(1)(b)(iii)',
  },
  {
    code: 'ORGANIZED_CRIME',
    text: 'could be used to commit or facilitate an act constituting an offence under international conventions or protocols relating to transnational organized crime',
    source: 'EIPA s.7.3(1)(b)(iv)',
  },
  {
    code: 'GENDER_BASED_VIOLENCE',
    text: 'could be used to commit or facilitate serious acts of gender-based violence or serious acts of violence against women and children',
    source: 'EIPA s.7.3(1)(b)(v)',
  },
  {
    code: 'SUBSTANTIAL_RISK',
    text: 'a substantial risk of any of the negative consequences remains after mitigating measures are considered',
    source: 'EIPA s.7.4',
  },
  {
    code: 'END_USE_ASSURANCE_BREACH',
    text: "the goods were used inconsistently with the end-use assurances given by the destination's government",
    source: 'EIPA s.10(1)',
  },
] as const;

export type CriterionCode = (typeof CRITERIA)[number]['code'];

// A set of unknown, so that anything may be looked up in it (a non-string is simply not there).
const CODES: ReadonlySet<unknown> = new Set(CRITERIA.map((c) => c.code));

export const isCriterionCode = (value: unknown): value is CriterionCode => CODES.has(value);
