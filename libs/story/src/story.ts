import type { IssuePermit, Party, PermitItem } from '@permit-ledger/permits';

/**
 * The 2019-2021 Turkey story of domain.md as HTTP commands, in effective-time order.
 * Dates are the public record; names, numbers, quantities and values are invented (domain.md "Fixture").
 */
export interface StoryStep {
  label: string;
  role: 'officer' | 'minister' | 'system' | 'customs';
  method: 'POST';
  path: string;
  body: Record<string, unknown>;
  /** The answer the service must give: refusals are part of the story. */
  expectStatus: number;
  /** A decision step: wait until the process manager has carried it out. */
  awaitDecision?: string;
  /** Process-manager work the step sets off: wait until each application read shows these fields. */
  awaitApplications?: Record<string, Partial<{ status: string; heldBy: string | null }>>;
}

/** The fields of POST /permits (api.md), as the story and its tests send them. */
export type PermitBody = IssuePermit['data'] & { effectiveAt: string };

/**
 * A plain permit to Turkey: EXP-19-004120's goods and parties without their addresses (api.md's example body).
 * The one source of that body: the story's permits, the specs, the bench and the fixtures vary it field by field.
 */
export const TR_PERMIT: Omit<PermitBody, 'permitNumber'> = {
  destination: 'TR',
  exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
  consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
  endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
  intendedEndUse: 'integration on unmanned aerial vehicles',
  items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
  validFrom: '2019-03-20',
  expiresOn: '2022-03-19',
  conditions: [{ code: 'NO-REEXPORT', text: 'No re-export without written consent' }],
  effectiveAt: '2019-03-20',
};

/** The body of POST /permits for TR_PERMIT under another number; overrides may be invalid on purpose. */
export function permitBody(permitNumber: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { permitNumber, ...trPermit(), ...overrides };
}

/** A fresh copy of TR_PERMIT, for callers that change it. */
export const trPermit = (): Omit<PermitBody, 'permitNumber'> => JSON.parse(JSON.stringify(TR_PERMIT)) as Omit<PermitBody, 'permitNumber'>;

/** A plain Group 2 permit to Germany, which no destination measure touches: the load of the e2e specs and the soak. */
export function germanPermit(permitNumber: string): PermitBody {
  return {
    permitNumber,
    destination: 'DE',
    exporter: { name: 'Boreal Aero Parts Ltd.' },
    consignee: { name: 'Luftfahrt GmbH', country: 'DE' },
    endUser: { name: 'Luftfahrt GmbH', country: 'DE' },
    intendedEndUse: 'aircraft maintenance',
    items: [{ eclItem: '2-10.a', description: 'parts', quantity: 1, unit: 'unit', valueCad: 1000 }],
    validFrom: '2021-01-01',
    expiresOn: '2090-01-01',
    conditions: [],
    effectiveAt: '2021-01-01',
  };
}

const NORTHFIELD = { ...TR_PERMIT.exporter, address: 'Ottawa, ON' };
const ANADOLU = { ...TR_PERMIT.consignee, country: 'TR', address: 'Ankara' };
const SUSPENSION = 'MIN-2020-10-05';
const CANCELLATION = 'MIN-2021-04-12';
const S10 = 'EIPA s.10(1)';

interface PermitSpec {
  permitNumber: string;
  exporter: Party;
  consignee: Party & { country: string };
  endUse: string;
  items: PermitItem[];
  issued: string;
  expiresOn: string;
  exceptionGround?: string;
  supersedes?: string;
}

export const STORY_PERMITS: PermitSpec[] = [
  {
    permitNumber: 'EXP-19-001940',
    exporter: { name: 'Boreal Aero Parts Ltd.', businessNumber: '812345678' },
    consignee: { name: 'Ege Aerostructures', country: 'TR' },
    endUse: 'NATO aircraft programme: structural parts',
    items: [{ eclItem: '2-10.a', description: 'airframe structural parts', quantity: 120, unit: 'unit', valueCad: 2_000_000 }],
    issued: '2019-02-01',
    expiresOn: '2020-12-31',
  },
  {
    permitNumber: 'EXP-19-004120',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'integration on unmanned aerial vehicles',
    items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4_200_000 }],
    issued: '2019-03-20',
    expiresOn: '2022-03-19',
  },
  {
    permitNumber: 'EXP-19-002770',
    exporter: { name: 'Laurentide SimTech Inc.', businessNumber: '823456789' },
    consignee: { name: 'Ankara Aviation Training', country: 'TR' },
    endUse: 'pilot training simulators',
    items: [{ eclItem: '2-14', description: 'flight simulator software', quantity: 4, unit: 'licence', valueCad: 1_100_000 }],
    issued: '2019-06-03',
    expiresOn: '2021-12-31',
  },
  {
    permitNumber: 'EXP-19-003305',
    exporter: { name: 'Kestrel Arms Components Ltd.', businessNumber: '834567890' },
    consignee: { name: 'TR defence depot', country: 'TR' },
    endUse: 'spare parts for service rifles',
    items: [{ eclItem: '2-1.a', description: 'small-arms parts', quantity: 900, unit: 'unit', valueCad: 400_000 }],
    issued: '2019-08-12',
    expiresOn: '2021-08-11',
  },
  {
    permitNumber: 'EXP-20-005181',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'integration on unmanned aerial vehicles',
    items: [{ eclItem: '2-15.a', description: 'EO/IR targeting sensor', quantity: 7, unit: 'unit', valueCad: 5_600_000 }],
    issued: '2020-05-14',
    expiresOn: '2021-06-30',
    exceptionGround: 'nato_cooperation',
  },
  {
    permitNumber: 'EXP-20-005182',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'sensor software and technical data',
    items: [
      { eclItem: '2-21.a', description: 'sensor control software', quantity: 1, unit: 'licence', valueCad: 200_000 },
      { eclItem: '2-22.a', description: 'integration technical data', quantity: 1, unit: 'package', valueCad: 100_000 },
    ],
    issued: '2020-05-14',
    expiresOn: '2021-06-30',
    exceptionGround: 'nato_cooperation',
  },
  {
    permitNumber: 'EXP-24-000311',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'integration on unmanned aerial vehicles, under the 2024 end-use assurances',
    items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 4, unit: 'unit', valueCad: 3_400_000 }],
    issued: '2024-05-10',
    // Later than any test's "now", so the service's expiry scheduler leaves it ISSUED as domain.md's fixture ends.
    expiresOn: '2029-05-09',
    supersedes: 'EXP-20-005181',
  },
];

/** Permits suspended on 2020-10-05 and cancelled on 2021-04-12. */
export const STORY_SUSPENDED = ['EXP-19-004120', 'EXP-20-005181', 'EXP-20-005182', 'EXP-19-002770', 'EXP-19-003305'];

export const STORY_FINAL_STATUS: Record<string, string> = {
  'EXP-19-004120': 'CANCELLED',
  'EXP-20-005181': 'CANCELLED',
  'EXP-20-005182': 'CANCELLED',
  'EXP-19-002770': 'CANCELLED',
  'EXP-19-003305': 'CANCELLED',
  'EXP-19-001940': 'EXPIRED',
  'EXP-24-000311': 'ISSUED',
};

/** Licence applications to Turkey, all submitted while the 2019-10-11 halt stood, so all held at submission. */
interface ApplicationSpec {
  applicationRef: string;
  exporter: Party;
  consignee: Party & { country: string };
  endUse: string;
  items: PermitItem[];
  submitted: string;
  exceptionGround?: string;
}

export const STORY_APPLICATIONS: ApplicationSpec[] = [
  {
    applicationRef: 'APP-19-0412',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'integration on unmanned aerial vehicles',
    items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 4, unit: 'unit', valueCad: 2_900_000 }],
    submitted: '2019-10-24',
  },
  {
    applicationRef: 'APP-19-0431',
    exporter: { name: 'Kestrel Arms Components Ltd.', businessNumber: '834567890' },
    consignee: { name: 'TR defence depot', country: 'TR' },
    endUse: 'spare parts for service rifles',
    items: [{ eclItem: '2-1.a', description: 'small-arms parts', quantity: 600, unit: 'unit', valueCad: 260_000 }],
    submitted: '2019-11-05',
  },
  {
    applicationRef: 'APP-19-0458',
    exporter: { name: 'Laurentide SimTech Inc.', businessNumber: '823456789' },
    consignee: { name: 'Ankara Aviation Training', country: 'TR' },
    endUse: 'pilot training simulators',
    items: [{ eclItem: '2-14', description: 'flight simulator upgrade', quantity: 2, unit: 'licence', valueCad: 480_000 }],
    submitted: '2019-11-18',
  },
  {
    // The application behind EXP-20-005181: its approval issues that permit.
    applicationRef: 'APP-19-0466',
    exporter: NORTHFIELD,
    consignee: ANADOLU,
    endUse: 'integration on unmanned aerial vehicles',
    items: [{ eclItem: '2-15.a', description: 'EO/IR targeting sensor', quantity: 7, unit: 'unit', valueCad: 5_600_000 }],
    submitted: '2019-11-28',
    exceptionGround: 'nato_cooperation',
  },
];

/** How the story's applications end: APP-19-0412 is held until NtE 992 is lifted in 2024. */
export const STORY_APPLICATION_STATUS: Record<string, string> = {
  'APP-19-0412': 'SUBMITTED',
  'APP-19-0431': 'WITHDRAWN',
  'APP-19-0458': 'REFUSED',
  'APP-19-0466': 'APPROVED',
};

/** The criteria the Minister cites refusing APP-19-0458. */
export const STORY_REFUSAL_CRITERIA = ['PEACE_AND_SECURITY', 'SUBSTANTIAL_RISK'];

function submit(a: ApplicationSpec): StoryStep {
  return {
    label: `application ${a.applicationRef} submitted on ${a.submitted}${a.exceptionGround ? ` (exception: ${a.exceptionGround})` : ''}`,
    role: 'officer',
    method: 'POST',
    path: '/applications',
    expectStatus: 201,
    body: {
      applicationRef: a.applicationRef,
      destination: 'TR',
      exporter: a.exporter,
      consignee: a.consignee,
      endUser: { name: a.consignee.name, country: 'TR' },
      intendedEndUse: a.endUse,
      items: a.items,
      ...(a.exceptionGround ? { exceptionGround: a.exceptionGround } : {}),
      effectiveAt: a.submitted,
    },
    awaitApplications: { [a.applicationRef]: { status: 'ON_HOLD', heldBy: 'TR-2019-HALT' } },
  };
}

/** A customs declaration of goods exported under a permit (lines name the permit's items by index). */
function shipment(
  permitNumber: string,
  declarationRef: string,
  exportedOn: string,
  lines: Array<{ item: number; quantity: number; valueCad: number }>,
  expectStatus = 201,
): StoryStep {
  return {
    label: `shipment ${declarationRef} under ${permitNumber} exported on ${exportedOn}`,
    role: 'customs',
    method: 'POST',
    path: `/permits/${permitNumber}/shipments`,
    expectStatus,
    body: { declarationRef, lines, exportedOn },
  };
}

const application = (ref: string) => STORY_APPLICATIONS.find((a) => a.applicationRef === ref)!;

function issue(p: PermitSpec, overrides: Partial<PermitSpec> = {}, expectStatus = 201): StoryStep {
  const spec = { ...p, ...overrides };
  return {
    label: `issue ${spec.permitNumber} on ${spec.issued}${spec.exceptionGround ? ` (exception: ${spec.exceptionGround})` : ''}`,
    role: 'officer',
    method: 'POST',
    path: '/permits',
    expectStatus,
    body: permitBody(spec.permitNumber, {
      exporter: spec.exporter,
      consignee: spec.consignee,
      endUser: { name: spec.consignee.name, country: 'TR' },
      intendedEndUse: spec.endUse,
      items: spec.items,
      validFrom: spec.issued,
      expiresOn: spec.expiresOn,
      ...(spec.exceptionGround ? { exceptionGround: spec.exceptionGround } : {}),
      ...(spec.supersedes ? { supersedes: spec.supersedes } : {}),
      effectiveAt: spec.issued,
    }),
  };
}

const permit = (n: string) => STORY_PERMITS.find((p) => p.permitNumber === n)!;
/** Reviews opened by the review decision are named after it (one review per decision and permit). */
const REVIEW = 'MIN-2020-10-06-REVIEW';

function decision(label: string, body: Record<string, unknown>): StoryStep {
  return {
    label,
    role: 'minister',
    method: 'POST',
    path: '/decisions',
    expectStatus: 202,
    body,
    awaitDecision: body.decisionRef as string,
  };
}

export function storySteps(): StoryStep[] {
  const steps: StoryStep[] = [
    issue(permit('EXP-19-001940')),
    issue(permit('EXP-19-004120')),
    issue(permit('EXP-19-002770')),
    issue(permit('EXP-19-003305')),
    shipment('EXP-19-002770', 'CBSA-19-0916-2770', '2019-09-16', [{ item: 0, quantity: 1, valueCad: 275_000 }]),
    {
      label: 'TR: new permits halted (2019-10-11)',
      role: 'minister',
      method: 'POST',
      path: '/destinations/TR/measures',
      expectStatus: 201,
      body: {
        measureId: 'TR-2019-HALT',
        kind: 'issuance_suspended',
        reference: 'Ministerial statement of 2019-10-11',
        reason: 'Turkish military operation in north-eastern Syria',
        effectiveAt: '2019-10-11',
      },
    },
    submit(application('APP-19-0412')),
    submit(application('APP-19-0431')),
    submit(application('APP-19-0458')),
    submit(application('APP-19-0466')),
    issue({ ...permit('EXP-19-004120'), permitNumber: 'EXP-19-009001', issued: '2019-12-01', expiresOn: '2020-12-01' }, {}, 409),
    shipment('EXP-19-002770', 'CBSA-20-0210-2770', '2020-02-10', [{ item: 0, quantity: 1, valueCad: 275_000 }]),
    {
      label: 'application APP-19-0431 withdrawn by the exporter (2020-02-20)',
      role: 'officer',
      method: 'POST',
      path: '/applications/APP-19-0431/withdraw',
      expectStatus: 200,
      body: { reason: 'The exporter withdrew the application: the contract lapsed', effectiveAt: '2020-02-20' },
    },
    // NtE 992 comes first on 2020-04-16, so the applications it blocks pass from the halt to it without a release.
    {
      label: 'TR: Group 2 presumptively denied, NATO exception (NtE 992)',
      role: 'minister',
      method: 'POST',
      path: '/destinations/TR/measures',
      expectStatus: 201,
      body: {
        measureId: 'TR-NTE-992',
        kind: 'presumptive_denial',
        eclGroups: [2],
        exceptionGrounds: ['nato_cooperation'],
        reference: 'NtE 992',
        reason: 'Group 2 applications to Turkey presumptively denied',
        effectiveAt: '2020-04-16',
      },
    },
    {
      label: 'TR: halt lifted by NtE 992 (2020-04-16)',
      role: 'minister',
      method: 'POST',
      path: '/destinations/TR/measures/TR-2019-HALT/lift',
      expectStatus: 200,
      body: { reference: 'NtE 992', reason: 'replaced by a presumptive denial of Group 2', effectiveAt: '2020-04-16' },
      awaitApplications: {
        'APP-19-0412': { status: 'ON_HOLD', heldBy: 'TR-NTE-992' },
        'APP-19-0458': { status: 'ON_HOLD', heldBy: 'TR-NTE-992' },
        'APP-19-0466': { status: 'SUBMITTED', heldBy: null },
      },
    },
    issue(permit('EXP-20-005181'), { exceptionGround: undefined }, 409),
    {
      label: 'application APP-19-0466 approved under the NATO exception: EXP-20-005181 (2020-05-14)',
      role: 'officer',
      method: 'POST',
      path: '/applications/APP-19-0466/approve',
      expectStatus: 200,
      body: {
        permitNumber: 'EXP-20-005181',
        validFrom: permit('EXP-20-005181').issued,
        expiresOn: permit('EXP-20-005181').expiresOn,
        conditions: TR_PERMIT.conditions,
        effectiveAt: permit('EXP-20-005181').issued,
      },
    },
    issue(permit('EXP-20-005182')),
    shipment('EXP-19-004120', 'CBSA-20-0622-4120', '2020-06-22', [{ item: 0, quantity: 2, valueCad: 1_400_000 }]),
    {
      label: 'application APP-19-0458 refused (2020-07-09)',
      role: 'minister',
      method: 'POST',
      path: '/applications/APP-19-0458/refuse',
      expectStatus: 200,
      body: {
        criteria: STORY_REFUSAL_CRITERIA,
        reason: 'Substantial risk that the simulators would support operations undermining peace and security',
        legalBasis: 'EIPA s.7.3(1)',
        effectiveAt: '2020-07-09',
      },
    },
  ];
  steps.push(
    decision('the Minister suspends the relevant permits to Turkey (2020-10-05)', {
      decisionRef: SUSPENSION,
      action: 'suspend',
      selector: { permitNumbers: STORY_SUSPENDED },
      reason: 'Suspension of relevant permits to Turkey pending review',
      legalBasis: S10,
      effectiveAt: '2020-10-05',
    }),
    decision('review of all suspended and valid permits to Turkey opened', {
      decisionRef: REVIEW,
      action: 'open_review',
      selector: { destination: 'TR' },
      reason: 'Review of all suspended and valid permits to Turkey',
      legalBasis: S10,
      effectiveAt: '2020-10-06',
    }),
    shipment('EXP-19-004120', 'CBSA-20-1020-4120', '2020-10-20', [{ item: 0, quantity: 1, valueCad: 700_000 }], 409),
  );
  for (const n of STORY_SUSPENDED) {
    steps.push({
      label: `finding on ${n}`,
      role: 'officer',
      method: 'POST',
      path: `/permits/${n}/reviews/${REVIEW}/findings`,
      expectStatus: 200,
      body: {
        finding:
          n.startsWith('EXP-19-004120') || n.startsWith('EXP-20-00518')
            ? 'Canadian-made sensors identified on a drone used in Nagorno-Karabakh'
            : 'Turkey did not provide the end-use information requested',
        theatre: n === 'EXP-19-004120' ? 'Nagorno-Karabakh' : undefined,
        evidenceRef: n === 'EXP-19-004120' ? 'GAC-REVIEW-2021-001' : undefined,
        assuranceBreached: true,
        effectiveAt: '2020-12-10',
      },
    });
  }
  steps.push({
    label: 'finding on EXP-19-001940',
    role: 'officer',
    method: 'POST',
    path: `/permits/EXP-19-001940/reviews/${REVIEW}/findings`,
    expectStatus: 200,
    body: { finding: 'Parts delivered to a NATO programme; no diversion found', assuranceBreached: false, effectiveAt: '2020-12-10' },
  });
  steps.push({
    label: 'review of EXP-19-001940 concluded: no action',
    role: 'minister',
    method: 'POST',
    path: `/permits/EXP-19-001940/reviews/${REVIEW}/conclude`,
    expectStatus: 200,
    body: { outcome: 'no_action', summary: 'No evidence of misuse', effectiveAt: '2020-12-15' },
  });
  steps.push({
    label: 'EXP-19-001940 expires (2020-12-31)',
    role: 'system',
    method: 'POST',
    path: '/permits/EXP-19-001940/expire',
    expectStatus: 200,
    body: { effectiveAt: '2020-12-31' },
  });
  for (const n of STORY_SUSPENDED) {
    steps.push({
      label: `review of ${n} concluded: cancellation recommended`,
      role: 'minister',
      method: 'POST',
      path: `/permits/${n}/reviews/${REVIEW}/conclude`,
      expectStatus: 200,
      body: {
        outcome: 'cancellation_recommended',
        summary: 'Credible evidence of use inconsistent with end-use assurances',
        effectiveAt: '2021-04-12T09:00:00Z',
      },
    });
  }
  steps.push(
    decision('the Minister cancels the permits suspended in fall 2020 (2021-04-12)', {
      decisionRef: CANCELLATION,
      action: 'cancel',
      selector: { destination: 'TR', status: 'SUSPENDED' },
      reason: 'Goods used in Nagorno-Karabakh, inconsistent with Turkey end-use assurances',
      legalBasis: S10,
      effectiveAt: '2021-04-12T12:00:00Z',
    }),
  );
  steps.push({
    label: 'a cancelled permit is never reinstated',
    role: 'minister',
    method: 'POST',
    path: '/permits/EXP-20-005181/reinstate',
    expectStatus: 409,
    body: { reason: 'resume exports', legalBasis: S10, effectiveAt: '2024-02-01' },
  });
  steps.push({
    label: 'TR: presumptive denial lifted by NtE 1108 (2024-01-29)',
    role: 'minister',
    method: 'POST',
    path: '/destinations/TR/measures/TR-NTE-992/lift',
    expectStatus: 200,
    body: { reference: 'NtE 1108', reason: 'case-by-case review with new end-use assurances', effectiveAt: '2024-01-29' },
    awaitApplications: { 'APP-19-0412': { status: 'SUBMITTED', heldBy: null } },
  });
  steps.push(issue(permit('EXP-24-000311')));
  return steps;
}
