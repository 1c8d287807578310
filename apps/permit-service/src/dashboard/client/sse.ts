/** A server-sent event, as a block of `event:`, `id:` and `data:` lines ending in a blank line. */
export interface SseEvent {
  type: string;
  id: string | null;
  data: string;
}

export interface SseSink {
  /** A block with data ended. */
  event(event: SseEvent): void;
  /** A block ended once an id has been seen: the last event id, which the stream keeps until a new `id:`. */
  lastEventId(id: string): void;
  /** A `retry:` line: the reconnection delay the server asks for, in ms. */
  retry(ms: number): void;
}

/**
 * An event-stream parser (the WHATWG rules) fed text chunks as they arrive: lines end in CRLF, LF or CR;
 * `:` lines are comments; a blank line dispatches the block. EventSource cannot send an Authorization
 * header, so the page reads the stream with fetch() and parses it here.
 */
export function sseParser(sink: SseSink): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let type = '';
  let id: string | null = null;
  return (chunk) => {
    buffer += chunk;
    const re = /\r\n|\r|\n/g;
    let start = 0;
    let match: RegExpExecArray | null;
    while ((match = re.exec(buffer)) !== null) {
      // A CR that ends the chunk may be the first half of a CRLF: wait for the next chunk.
      if (match[0] === '\r' && match.index === buffer.length - 1) break;
      const line = buffer.slice(start, match.index);
      start = re.lastIndex;
      if (line === '') {
        if (id !== null) sink.lastEventId(id);
        if (data.length) sink.event({ type: type || 'message', id, data: data.join('\n') });
        data = [];
        type = '';
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') type = value;
      else if (field === 'id' && !value.includes('\u0000')) id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) sink.retry(Number(value));
    }
    buffer = buffer.slice(start);
  };
}
