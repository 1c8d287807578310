import { Injectable } from '@nestjs/common';

export interface HealthReport {
  up: boolean;
  data: Record<string, unknown>;
}

/** Where consumers of the log that live in a slice report their health, so the probe needs no slice. */
@Injectable()
export class HealthRegistry {
  private readonly reports = new Map<string, () => HealthReport>();

  register(name: string, report: () => HealthReport): void {
    this.reports.set(name, report);
  }

  entries(): Array<[string, () => HealthReport]> {
    return [...this.reports];
  }
}
