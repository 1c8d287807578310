/** Schedules the checkpoint after new leaves (a timer); injectable so specs run it by hand. */
export type CheckpointSchedule = (run: () => void, ms: number) => { cancel(): void };

/** DI token of the CheckpointSchedule (optional: a real timer without it). */
export const LEDGER_SCHEDULE = Symbol('LEDGER_SCHEDULE');
