/** Request bodies for the int-specs: a valid permit that tests then vary one field at a time. */
export function permitBody(permitNumber: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    permitNumber,
    destination: 'TR',
    exporter: { name: 'Northfield Optronics Inc.', businessNumber: '861234567' },
    consignee: { name: 'Anadolu UAV Systems', country: 'TR' },
    endUser: { name: 'Anadolu UAV Systems', country: 'TR' },
    intendedEndUse: 'integration on unmanned aerial vehicles',
    items: [{ eclItem: '2-15.a', description: 'EO/IR gimbal sensor', quantity: 6, unit: 'unit', valueCad: 4200000 }],
    validFrom: '2019-03-20',
    expiresOn: '2022-03-19',
    conditions: [{ code: 'NO-REEXPORT', text: 'No re-export without written consent' }],
    effectiveAt: '2019-03-20',
    ...overrides,
  };
}

export const suspendBody = (effectiveAt = '2020-10-05', extra: Record<string, unknown> = {}) => ({
  reason: 'Review ordered by the Minister',
  legalBasis: 'EIPA s.10(1)',
  effectiveAt,
  ...extra,
});
