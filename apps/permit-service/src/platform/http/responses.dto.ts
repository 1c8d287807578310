import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ConditionDto, ItemDto, PartyDto } from './common.dto.js';
import { DecisionSelectorDto } from '../../decisions/decision.dto.js';

/*
 * Answer shapes, for the OpenAPI document only: nothing validates or builds answers with these classes.
 * They describe what the handlers return (api.md's "Answer shapes"); keep them in step with it.
 */

const STATUSES = ['ISSUED', 'SUSPENDED', 'CANCELLED', 'EXPIRED'];
const OBJECT = { type: 'object', additionalProperties: true } as const;

export class ActorView {
  @ApiProperty({ type: String, description: "The token's subject.", example: 'minister-1' })
  id!: string;

  @ApiProperty({ type: String, enum: ['officer', 'minister', 'auditor', 'viewer', 'system'], description: 'The first of its roles that the route allows.', example: 'minister' })
  role!: string;

  @ApiPropertyOptional({ type: String, description: 'Set when a process carried out the command for the actor.', example: 'decision-process-manager' })
  executor?: string;
}

/** One stored event with its whole envelope. */
export class EventView {
  @ApiProperty({ type: String, format: 'uuid' })
  eventId!: string;

  @ApiProperty({ type: String, example: 'PermitSuspended' })
  type!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  schemaVersion!: number;

  @ApiProperty({ type: String, example: 'permit-EXP-19-004120' })
  stream!: string;

  @ApiProperty({ type: 'integer', description: 'Revision in its stream (0 = first event).', example: 1 })
  revision!: number;

  @ApiProperty({ type: 'integer', description: 'Global log position: send it as X-Min-Position to read your write.', example: 42 })
  position!: number;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the ledger recorded it.' })
  recordedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'When it took effect in the world.', example: '2020-10-05T00:00:00.000Z' })
  effectiveAt!: string;

  @ApiProperty({ type: () => ActorView })
  actor!: ActorView;

  @ApiProperty({ ...OBJECT, description: "The event's data, as recorded." })
  data!: Record<string, unknown>;

  @ApiProperty({ type: String, nullable: true, example: 'Review of permits to Turkey' })
  reason!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'EIPA s.10(1)' })
  legalBasis!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'MIN-2020-10-05' })
  decisionRef!: string | null;

  @ApiProperty({ type: String })
  commandId!: string;

  @ApiProperty({ type: String, description: "The X-Correlation-Id of the request that caused it (default: its request id); the decision's for a decision's commands." })
  correlationId!: string;

  @ApiProperty({ type: String, nullable: true })
  causationId!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Hash of the previous event of the stream (null at revision 0).', pattern: '^[0-9a-f]{64}$' })
  prevHash!: string | null;

  @ApiProperty({ type: String, description: 'SHA-256 (hex) of the canonical JSON of the event.', pattern: '^[0-9a-f]{64}$' })
  hash!: string;
}

class CommandAnswerBase {
  @ApiProperty({ type: 'integer', description: 'The stream revision after the command (also the ETag).', example: 1 })
  revision!: number;

  @ApiProperty({ type: 'integer', description: 'Log position of the last event written (for X-Min-Position).', example: 42 })
  position!: number;

  @ApiProperty({ type: () => EventView, isArray: true, description: 'The events the command appended (or, on a replay, had appended).' })
  events!: EventView[];
}

export class PermitCommandAnswer extends CommandAnswerBase {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;
}

export class OpenReviewAnswer extends PermitCommandAnswer {
  @ApiProperty({ type: String, description: 'The review opened (generated when the body named none).', example: 'R-2020-TR-1' })
  reviewId!: string;
}

export class DestinationCommandAnswer extends CommandAnswerBase {
  @ApiProperty({ type: String, example: 'TR' })
  country!: string;

  @ApiProperty({ type: String, example: 'TR-2019-10' })
  measureId!: string;
}

export class DecisionRecordedAnswer {
  @ApiProperty({ type: String, example: 'MIN-2021-04-12' })
  decisionRef!: string;

  @ApiProperty({ type: String, enum: ['suspend', 'cancel', 'reinstate', 'open_review'], example: 'cancel' })
  action!: string;

  @ApiProperty({ type: () => DecisionSelectorDto })
  selector!: DecisionSelectorDto;

  @ApiProperty({ type: String, isArray: true, description: 'The permits the selector resolved to, once.', example: ['EXP-19-004120'] })
  targeted!: string[];

  @ApiProperty({ type: 'integer', example: 1 })
  revision!: number;

  @ApiProperty({ type: 'integer', example: 57 })
  position!: number;
}

export class AppliedOutcomeView {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: 'integer', description: 'Revision of the permit event the decision produced.' })
  revision!: number;

  @ApiProperty({ type: 'integer', description: 'Its log position.' })
  position!: number;
}

export class SkippedOutcomeView {
  @ApiProperty({ type: String, example: 'EXP-19-004121' })
  permitNumber!: string;

  @ApiProperty({ type: String, description: "The domain's refusal code.", example: 'PERMIT_TERMINAL' })
  code!: string;

  @ApiProperty({ type: String, example: 'permit EXP-19-004121 is CANCELLED' })
  reason!: string;
}

export class FailedOutcomeView {
  @ApiProperty({ type: String })
  permitNumber!: string;

  @ApiProperty({ type: String })
  error!: string;
}

export class DecisionView {
  @ApiProperty({ type: String, example: 'MIN-2021-04-12' })
  decisionRef!: string;

  @ApiProperty({ type: String, enum: ['PENDING', 'COMPLETED'], example: 'COMPLETED' })
  status!: string;

  @ApiProperty({ type: String, enum: ['suspend', 'cancel', 'reinstate', 'open_review'], example: 'cancel' })
  action!: string;

  @ApiProperty({ type: () => DecisionSelectorDto })
  selector!: DecisionSelectorDto;

  @ApiProperty({ type: String, example: 'Canadian sensors found in Nagorno-Karabakh' })
  reason!: string;

  @ApiProperty({ type: String, example: 'EIPA s.10(1)' })
  legalBasis!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  effectiveAt!: string;

  @ApiProperty({ type: () => ActorView, description: 'The minister who recorded it.' })
  recordedBy!: ActorView;

  @ApiProperty({ type: String, format: 'date-time' })
  recordedAt!: string;

  @ApiProperty({ type: String, isArray: true, example: ['EXP-19-004120'] })
  targeted!: string[];

  @ApiProperty({ type: () => AppliedOutcomeView, isArray: true })
  applied!: AppliedOutcomeView[];

  @ApiProperty({ type: () => SkippedOutcomeView, isArray: true })
  skipped!: SkippedOutcomeView[];

  @ApiProperty({ type: () => FailedOutcomeView, isArray: true })
  failed!: FailedOutcomeView[];

  @ApiProperty({ type: 'integer', description: "Revision of the decision's stream." })
  revision!: number;
}

export class OpenReviewRef {
  @ApiProperty({ type: String, example: 'R-2020-TR-1' })
  reviewId!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  openedAt!: string;
}

/**
 * A permit's current status row (status projection). Auditors, officers and ministers get it whole; a viewer
 * gets no consignee or end user, and of the exporter only its name.
 */
export class PermitStatusView {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: String, enum: STATUSES, example: 'SUSPENDED' })
  status!: string;

  @ApiProperty({ type: String, example: 'TR' })
  destination!: string;

  @ApiProperty({ type: () => PartyDto, description: 'A viewer sees only `name`.' })
  exporter!: PartyDto;

  @ApiPropertyOptional({ type: () => PartyDto, description: 'Absent for a viewer.' })
  consignee?: PartyDto;

  @ApiPropertyOptional({ type: () => PartyDto, description: 'Absent for a viewer.' })
  endUser?: PartyDto;

  @ApiProperty({ type: String, isArray: true, example: ['2-15.a'] })
  eclItems!: string[];

  @ApiProperty({ type: Number, example: 4200000 })
  totalValueCad!: number;

  @ApiProperty({ type: String, format: 'date', example: '2019-03-20' })
  validFrom!: string;

  @ApiProperty({ type: String, format: 'date', example: '2022-03-19' })
  expiresOn!: string;

  @ApiProperty({ type: 'integer', description: "The stream's revision (also the ETag).", example: 1 })
  revision!: number;

  @ApiProperty({ type: 'integer', description: 'Log position of the last event applied to this row.' })
  position!: number;

  @ApiProperty({ type: () => OpenReviewRef, nullable: true })
  openReview!: OpenReviewRef | null;

  @ApiProperty({ type: String, nullable: true, example: 'MIN-2020-10-05' })
  lastDecisionRef!: string | null;

  @ApiProperty({ type: String, nullable: true })
  supersedes!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  issuedAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class PermitPage {
  @ApiProperty({ type: () => PermitStatusView, isArray: true })
  items!: PermitStatusView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  nextCursor!: string | null;
}

/** One event of a permit's history with its whole envelope. */
export class HistoryEntryView {
  @ApiProperty({ type: String, example: 'PermitSuspended' })
  type!: string;

  @ApiProperty({ type: 'integer', example: 1 })
  schemaVersion!: number;

  @ApiProperty({ type: 'integer', example: 1 })
  revision!: number;

  @ApiProperty({ type: 'integer', example: 42 })
  position!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  recordedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2020-10-05T00:00:00.000Z' })
  effectiveAt!: string;

  @ApiProperty({ type: () => ActorView })
  actor!: ActorView;

  @ApiProperty({ ...OBJECT, description: "The event's data, as recorded (not upcast)." })
  data!: Record<string, unknown>;

  @ApiPropertyOptional({ type: String })
  reason?: string;

  @ApiPropertyOptional({ type: String })
  legalBasis?: string;

  @ApiPropertyOptional({ type: String, description: 'The ministerial decision it was taken under.' })
  decisionRef?: string;

  @ApiProperty({ type: String })
  commandId!: string;

  @ApiProperty({ type: String })
  correlationId!: string;

  @ApiProperty({ type: String, nullable: true })
  causationId!: string | null;

  @ApiProperty({ type: String, format: 'uuid' })
  eventId!: string;

  @ApiProperty({ type: String, nullable: true })
  prevHash!: string | null;

  @ApiProperty({ type: String })
  hash!: string;
}

export class PermitHistoryView {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: () => HistoryEntryView, isArray: true, description: 'Oldest first.' })
  events!: HistoryEntryView[];
}

export class ReviewFindingView {
  @ApiProperty({ type: String })
  finding!: string;

  @ApiProperty({ type: String, nullable: true })
  theatre!: string | null;

  @ApiProperty({ type: String, nullable: true })
  evidenceRef!: string | null;

  @ApiProperty({ type: Boolean })
  assuranceBreached!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  recordedAt!: string;
}

export class ReviewView {
  @ApiProperty({ type: String })
  reviewId!: string;

  @ApiProperty({ type: String })
  reason!: string;

  @ApiProperty({ type: String, nullable: true })
  decisionRef!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  openedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  concludedAt!: string | null;

  @ApiProperty({ type: String, enum: ['no_action', 'reinstatement_recommended', 'cancellation_recommended'], nullable: true })
  outcome!: string | null;

  @ApiProperty({ type: String, nullable: true })
  summary!: string | null;

  @ApiProperty({ type: () => ReviewFindingView, isArray: true })
  findings!: ReviewFindingView[];
}

export class OpenReviewStateView {
  @ApiProperty({ type: String })
  reviewId!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  openedAt!: string;

  @ApiProperty({ type: () => ReviewFindingView, isArray: true })
  findings!: ReviewFindingView[];
}

/** The permit folded from its own events up to the requested point. */
export class PermitStateView {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The asOf asked for.', example: '2020-10-06' })
  asOf!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The knownAt asked for.' })
  knownAt!: string | null;

  @ApiProperty({ type: String, enum: STATUSES, example: 'SUSPENDED' })
  status!: string;

  @ApiProperty({ type: String, example: 'TR' })
  destination!: string;

  @ApiProperty({ type: () => PartyDto })
  exporter!: PartyDto;

  @ApiProperty({ type: () => PartyDto })
  consignee!: PartyDto;

  @ApiProperty({ type: () => PartyDto })
  endUser!: PartyDto;

  @ApiProperty({ type: String })
  intendedEndUse!: string;

  @ApiProperty({ type: () => ItemDto, isArray: true })
  items!: ItemDto[];

  @ApiProperty({ type: Number, example: 4200000 })
  totalValueCad!: number;

  @ApiProperty({ type: String, format: 'date' })
  validFrom!: string;

  @ApiProperty({ type: String, format: 'date' })
  expiresOn!: string;

  @ApiProperty({ type: () => ConditionDto, isArray: true })
  conditions!: ConditionDto[];

  @ApiProperty({ type: String, nullable: true })
  exceptionGround!: string | null;

  @ApiProperty({ type: String, nullable: true })
  supersedes!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  issuedAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  lastEffectiveAt!: string;

  @ApiProperty({ type: () => OpenReviewStateView, nullable: true })
  openReview!: OpenReviewStateView | null;

  @ApiProperty({ type: () => ReviewView, isArray: true })
  reviews!: ReviewView[];

  @ApiProperty({ type: String, nullable: true })
  lastDecisionRef!: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'SUSPENDED, CANCELLED and EXPIRED permits.' })
  suspendedAt?: string | null;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'CANCELLED permits.' })
  cancelledAt?: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', description: 'EXPIRED permits.' })
  expiredAt?: string;

  @ApiProperty({ type: 'integer', description: 'Revision of the last event folded.' })
  revision!: number;

  @ApiProperty({ type: 'integer', description: 'Log position of the last event folded.' })
  position!: number;

  @ApiProperty({ type: String, format: 'date-time', description: 'effectiveAt of the last event folded.' })
  effectiveAt!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'recordedAt of the last event folded.' })
  recordedAt!: string;
}

export class StreamVerificationView {
  @ApiProperty({ type: String, example: 'EXP-19-004120' })
  permitNumber!: string;

  @ApiProperty({ type: Boolean, example: true })
  valid!: boolean;

  @ApiProperty({ type: 'integer', description: 'Events checked (up to and including the first broken one).', example: 6 })
  checked!: number;

  @ApiPropertyOptional({ type: 'integer', description: 'Present when the chain is broken.' })
  firstBrokenRevision?: number;
}

export class LedgerBreakView {
  @ApiProperty({ type: 'integer', description: 'Log position of the broken event (-1 when not an event).' })
  position!: number;

  @ApiProperty({ type: String })
  stream!: string;

  @ApiProperty({ type: 'integer' })
  revision!: number;

  @ApiProperty({
    type: String,
    description: 'Stable reason.',
    example: 'HASH_MISMATCH',
    enum: [
      'HASH_MISMATCH',
      'REVISION_GAP',
      'PREV_HASH_MISMATCH',
      'POSITION_ORDER',
      'RUNNING_HASH_MISMATCH',
      'ANCHOR_UNSIGNED',
      'ANCHOR_SIGNATURE_INVALID',
      'MALFORMED_LINE',
      'TRUNCATED',
      'COUNT_MISMATCH',
    ],
  })
  reason!: string;

  @ApiPropertyOptional({ type: String, description: 'Human-readable; not stable.' })
  detail?: string;
}

export class LedgerVerificationView {
  @ApiProperty({ type: Boolean, example: true })
  valid!: boolean;

  @ApiProperty({ type: 'integer', description: 'Events examined.' })
  checked!: number;

  @ApiProperty({ type: 'integer', description: 'Anchors whose statement (and signature, with a key) held.' })
  anchorsChecked!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Position covered by the furthest verified anchor.' })
  lastAnchorPosition!: number | null;

  @ApiProperty({ type: 'integer', description: 'Events after the last verified anchor.' })
  unanchored!: number;

  @ApiPropertyOptional({ type: () => LedgerBreakView })
  firstBroken?: LedgerBreakView;

  @ApiProperty({ type: 'integer', example: 0 })
  from!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: up to the head of the log.' })
  to!: number | null;

  @ApiProperty({ type: 'integer', description: 'Events checked within [from, to].' })
  checkedInRange!: number;
}

export class MeasureView {
  @ApiProperty({ type: String, example: 'TR' })
  country!: string;

  @ApiProperty({ type: String, example: 'TR-2019-10' })
  measureId!: string;

  @ApiProperty({ type: String, enum: ['issuance_suspended', 'presumptive_denial'] })
  kind!: string;

  @ApiProperty({ type: 'integer', isArray: true, nullable: true, description: 'ECL groups covered; null = all goods.', example: [2] })
  eclGroups!: number[] | null;

  @ApiProperty({ type: String, isArray: true, example: ['nato_cooperation'] })
  exceptionGrounds!: string[];

  @ApiProperty({ type: String, example: 'NtE 992' })
  reference!: string;

  @ApiProperty({ type: String })
  reason!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  imposedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  liftedAt!: string | null;

  @ApiProperty({ type: String, nullable: true })
  liftReference!: string | null;

  @ApiProperty({ type: String, nullable: true })
  liftReason!: string | null;

  @ApiProperty({ type: 'integer' })
  revision!: number;
}

export class DestinationTimelineEntryView {
  @ApiProperty({ type: String, example: 'DestinationMeasureImposed' })
  type!: string;

  @ApiProperty({ type: 'integer' })
  revision!: number;

  @ApiProperty({ type: 'integer' })
  position!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  effectiveAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  recordedAt!: string;

  @ApiProperty({ ...OBJECT })
  data!: Record<string, unknown>;
}

export class DestinationView {
  @ApiProperty({ type: String, example: 'TR' })
  country!: string;

  @ApiProperty({ type: () => MeasureView, isArray: true, description: 'Measures in force, oldest first.' })
  inForce!: MeasureView[];

  @ApiProperty({ type: () => MeasureView, isArray: true, description: 'Every measure ever imposed, oldest first.' })
  measures!: MeasureView[];

  @ApiProperty({ type: () => DestinationTimelineEntryView, isArray: true })
  history!: DestinationTimelineEntryView[];
}

export class StatusFigure {
  @ApiProperty({ type: String, enum: STATUSES })
  status!: string;

  @ApiProperty({ type: 'integer' })
  count!: number;

  @ApiProperty({ type: Number })
  valueCad!: number;
}

export class DestinationFigure extends StatusFigure {
  @ApiProperty({ type: String, example: 'TR' })
  destination!: string;
}

export class MonthFigure {
  @ApiProperty({ type: String, pattern: '^[0-9]{4}-[0-9]{2}$', example: '2020-10' })
  month!: string;

  @ApiProperty({ type: 'integer' })
  issued!: number;

  @ApiProperty({ type: 'integer' })
  suspended!: number;

  @ApiProperty({ type: 'integer' })
  reinstated!: number;

  @ApiProperty({ type: 'integer' })
  cancelled!: number;

  @ApiProperty({ type: 'integer' })
  expired!: number;
}

export class TotalsFigure {
  @ApiProperty({ type: 'integer' })
  permits!: number;

  @ApiProperty({ type: Number })
  valueCad!: number;
}

export class StatsView {
  @ApiProperty({ type: () => StatusFigure, isArray: true })
  byStatus!: StatusFigure[];

  @ApiProperty({ type: () => DestinationFigure, isArray: true })
  byDestination!: DestinationFigure[];

  @ApiProperty({ type: () => MonthFigure, isArray: true, description: 'Months (of effectiveAt, UTC) with at least one lifecycle event, ascending.' })
  perMonth!: MonthFigure[];

  @ApiProperty({ type: () => TotalsFigure })
  totals!: TotalsFigure;
}

/** A health check's answer (terminus): each indicator under its name with `status: up|down`. */
export class HealthView {
  @ApiProperty({ type: String, enum: ['ok', 'error', 'shutting_down'], example: 'ok' })
  status!: string;

  @ApiPropertyOptional({ ...OBJECT, description: 'Indicators that are up.' })
  info?: Record<string, unknown>;

  @ApiPropertyOptional({ ...OBJECT, description: 'Indicators that are down.' })
  error?: Record<string, unknown>;

  @ApiPropertyOptional({ ...OBJECT, description: 'Every indicator.' })
  details?: Record<string, unknown>;
}
