import { LEDGER_BREAK_REASONS, type LedgerVerification } from '@permit-ledger/event-store';
import { schema as s, type Static } from '@permit-ledger/projections';

/** The answer of a whole-ledger verification, written once; the compiler checks it against the verifier's result. */
export const LedgerVerificationView = s.named(
  'LedgerVerificationView',
  s.object({
    valid: s.boolean({ example: true }),
    checked: s.integer({ description: 'Events examined.' }),
    anchorsChecked: s.integer({ description: 'Anchors whose statement (and signature, with a key) held.' }),
    lastAnchorPosition: s.nullable(s.integer({ description: 'Position covered by the furthest verified anchor.' })),
    unanchored: s.integer({ description: 'Events after the last verified anchor.' }),
    firstBroken: s.optional(
      s.named(
        'LedgerBreakView',
        s.object({
          position: s.integer({ description: 'Log position of the broken event (-1 when not an event).' }),
          stream: s.string(),
          revision: s.integer(),
          reason: s.oneOf(LEDGER_BREAK_REASONS, { description: 'Stable reason.', example: 'HASH_MISMATCH' }),
          detail: s.optional(s.string({ description: 'Human-readable; not stable.' })),
          line: s.optional(s.integer({ description: '1-based line of an NDJSON export (file verification only).' })),
        }),
      ),
    ),
    from: s.integer({ example: 0 }),
    to: s.nullable(s.integer({ description: 'null: up to the head of the log.' })),
    checkedInRange: s.integer({ description: 'Events checked within [from, to].' }),
  }),
);
export type LedgerVerificationView = Static<typeof LedgerVerificationView>;
const _verificationAgrees: s.Agree<
  LedgerVerificationView,
  LedgerVerification & { from: number; to: number | null; checkedInRange: number }
> = true;
