/** Small helpers shared by this library's own test suites. */
import { randomUUID } from 'node:crypto';
import { jsonEvent, type ResolvedEvent } from '@eventstore/db-client';

export const stream = (prefix = 'permit') => `${prefix}-${randomUUID()}`;

export const event = (type = 'PermitRequested', data: Record<string, unknown> = { n: 1 }, id?: string) =>
  jsonEvent({ type, data, ...(id ? { id } : {}) });

export async function readAllOf<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

export function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}

/** Polls until `condition` holds (or fails the test after `ms`). */
export function until(condition: () => boolean, what: string, ms = 2_000): Promise<void> {
  return within(
    (async () => {
      while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
    })(),
    what,
    ms,
  );
}

/** Records what a subscription emits and lets a test wait for it. */
export function watch<E extends ResolvedEvent>(subscription: NodeJS.EventEmitter & AsyncIterable<E>) {
  const events: E[] = [];
  const order: string[] = [];
  let wake = () => undefined as void;
  let error: unknown;
  subscription.on('data', (e: E) => {
    events.push(e);
    order.push(`event:${e.event?.type}`);
    wake();
  });
  subscription.on('caughtUp', () => {
    order.push('caughtUp');
    wake();
  });
  subscription.on('error', (e: unknown) => {
    error = e;
    wake();
  });
  const until = (condition: () => boolean, what: string) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (condition()) resolve();
        };
        const previous = wake;
        wake = () => {
          previous();
          check();
        };
        check();
      }),
      what,
    );
  return {
    events,
    order,
    get error() {
      return error;
    },
    untilEvents: (n: number) => until(() => events.length >= n, `${n} events`),
    untilCaughtUp: () => until(() => order.includes('caughtUp'), 'caughtUp'),
    untilError: () => until(() => error !== undefined, 'an error'),
  };
}
