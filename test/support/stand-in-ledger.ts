/**
 * A stand-in for the service's transparency routes (GET /api/v1/ledger/checkpoint, /verifier-key,
 * /proof/consistency, /proof/inclusion), served from a TestLog, for the auditors' CLI specs. Never in production.
 * `log` may be replaced at any time: that is how a restored backup or a rewritten history is played.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestLog } from '../../libs/event-store/src/witness/testing/test-log.js';

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

export class StandInLedger {
  private server?: Server;
  /** Signature lines served after the checkpoint's own (witnesses' cosignatures), each ending in a newline. */
  cosignatures = '';
  constructor(public log: TestLog) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      // As the service's QueryInteger: decimal digits only (at most 15), anything else is no number (a 400).
      const int = (name: string) => {
        const raw = url.searchParams.get(name);
        return raw !== null && /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
      };
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(body);
      };
      const json = (body: unknown) => send(200, 'application/json', JSON.stringify(body));
      try {
        switch (url.pathname) {
          case '/api/v1/ledger/checkpoint':
            return send(200, 'text/plain; charset=utf-8', this.log.checkpoint() + this.cosignatures);
          case '/api/v1/ledger/verifier-key':
            // As the service serves it: no trailing newline.
            return send(200, 'text/plain; charset=utf-8', this.log.verifierKey);
          case '/api/v1/ledger/proof/consistency': {
            const [from, size] = [int('from'), int('size')];
            if (!(from >= 1 && from <= size && size <= this.log.size)) return send(400, 'application/problem+json', '{"status":400}');
            return json({ from, size, path: this.log.consistency(from, size).map(base64) });
          }
          case '/api/v1/ledger/proof/inclusion': {
            const [leaf, size] = [int('leaf'), int('size')];
            if (!(leaf >= 0 && leaf < size && size <= this.log.size)) return send(400, 'application/problem+json', '{"status":400}');
            return json({ leaf, size, path: this.log.inclusion(leaf, size).map(base64) });
          }
          default:
            return send(404, 'text/plain', 'not found');
        }
      } catch (error) {
        send(500, 'text/plain', String(error));
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
