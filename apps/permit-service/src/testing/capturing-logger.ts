import type { LoggerService } from '@nestjs/common';

/** A Nest logger that keeps every line, for specs that assert what the service logged. */
export class CapturingLogger implements LoggerService {
  lines: string[] = [];
  log(message: unknown, ...rest: unknown[]) {
    this.lines.push([message, ...rest].map(String).join(' '));
  }
  error = this.log;
  warn = this.log;
  debug = this.log;
  verbose = this.log;
}
