import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { sseParser, type SseEvent } from './client/sse.js';

type Call = ['event', SseEvent] | ['lastEventId', string] | ['retry', number];

/** Feed `chunks` to a parser and list what it reported, in order. */
function parse(chunks: string[]): Call[] {
  const calls: Call[] = [];
  const feed = sseParser({
    event: (e) => calls.push(['event', e]),
    lastEventId: (id) => calls.push(['lastEventId', id]),
    retry: (ms) => calls.push(['retry', ms]),
  });
  for (const chunk of chunks) feed(chunk);
  return calls;
}

// A retry and a comment, as the service's feed starts, then events with and without ids, on all three line ends.
const STREAM =
  'retry: 2000\r\n: from position 0\r\n\r\n' +
  'id: 41\nevent: PermitSuspended\ndata: {"position":41}\n\n' +
  ': keep-alive\r' +
  'id: 42\rdata: first\rdata:second\r\r' +
  'data: no id of its own\n\n' +
  'data: one\r\ndata: two\r\n\r\n';

describe('the dashboard feed parser (event-stream rules)', () => {
  it('reports events, the last event id at the end of each block, and retries; comments are skipped', () => {
    expect(parse([STREAM])).toEqual([
      ['retry', 2000],
      ['lastEventId', '41'],
      ['event', { type: 'PermitSuspended', id: '41', data: '{"position":41}' }],
      ['lastEventId', '42'],
      ['event', { type: 'message', id: '42', data: 'first\nsecond' }],
      // The stream keeps the last id until a new `id:` line.
      ['lastEventId', '42'],
      ['event', { type: 'message', id: '42', data: 'no id of its own' }],
      ['lastEventId', '42'],
      ['event', { type: 'message', id: '42', data: 'one\ntwo' }],
    ]);
  });

  it('ignores an id holding NUL, a retry that is not digits, and an unfinished block', () => {
    expect(parse(['id: 7\u0000\nretry: 2s\nid: 8\ndata: x\n\n', 'data: not yet ended\n'])).toEqual([
      ['lastEventId', '8'],
      ['event', { type: 'message', id: '8', data: 'x' }],
    ]);
  });

  it('reads the same however the stream is cut into chunks, a CRLF cut in two included', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), STREAM.length];
        const chunks = at.slice(1).map((end, i) => STREAM.slice(at[i], end));
        expect(parse(chunks)).toEqual(parse([STREAM]));
      }),
    );
  });
});
