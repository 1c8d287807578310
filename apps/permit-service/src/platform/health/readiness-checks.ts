/** One readiness indicator that is not a log consumer (e.g. a witness the ledger pushes checkpoints to). */
export interface ReadinessCheck {
  /** The indicator's name in /health/ready. */
  readonly name: string;
  /** From memory: a probe must never wait on a remote party. */
  report(): { up: boolean; data: Record<string, unknown> };
}

/** Where slices register readiness indicators of their own; /health/ready reports each after the log's consumers. */
export class ReadinessChecks {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    if (this.checks.some((c) => c.name === check.name)) throw new Error(`duplicate readiness indicator: ${check.name}`);
    this.checks.push(check);
  }

  list(): readonly ReadinessCheck[] {
    return [...this.checks];
  }
}
