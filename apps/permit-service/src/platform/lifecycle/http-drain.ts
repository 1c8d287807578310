import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

const DRAIN_LIMIT_MS = 10_000;

/**
 * Graceful shutdown, first step: stop taking requests and let the ones in flight finish, before
 * anything else shuts down (Nest itself would close the HTTP server only after every shutdown hook,
 * i.e. after the store). Others that must write last (the anchor writer) await `drained()`.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private draining?: Promise<void>;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  beforeApplicationShutdown(): Promise<void> {
    return this.drained();
  }

  drained(): Promise<void> {
    this.draining ??= new Promise<void>((resolve) => {
      const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
      if (!server?.listening) return resolve();
      this.logger.log('no longer accepting requests; finishing the ones in flight');
      // Keep-alive connections that go idle after their last answer are closed as they do.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const limit = setTimeout(() => server.closeAllConnections(), DRAIN_LIMIT_MS);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(limit);
        resolve();
      });
      server.closeIdleConnections();
    });
    return this.draining;
  }
}
