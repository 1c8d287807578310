/** Request bodies for the int-specs: the story's plain TR permit (one source, libs/story), varied one field at a time. */
export { permitBody } from '@permit-ledger/story';

export const suspendBody = (effectiveAt = '2020-10-05', extra: Record<string, unknown> = {}) => ({
  reason: 'Review ordered by the Minister',
  legalBasis: 'EIPA s.10(1)',
  effectiveAt,
  ...extra,
});
