import { runStory, type StoryAnswer, type StoryClient } from '@permit-ledger/story';
import { signToken, localSecret } from '@permit-ledger/config';

/** Talks to a running service with tokens signed by the local secret (AUTH_JWT_SECRET or DATA_DIR's). */
class HttpClient implements StoryClient {
  private readonly tokens = new Map<string, Promise<string>>();
  constructor(
    private readonly baseUrl: string,
    private readonly secret: string,
  ) {}

  async call(method: string, path: string, role: string, body?: unknown): Promise<StoryAnswer> {
    if (!this.tokens.has(role)) this.tokens.set(role, signToken({ sub: `story-${role}`, roles: [role] }, this.secret, { expiresIn: '1h' }));
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${await this.tokens.get(role)!}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  }
}

function bar(done: number, total: number, width = 30): string {
  const filled = Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** Loads the 2019-2021 story through the public API of a running service, then prints the permits. */
export async function story(options: { url: string }, out: (line: string) => void, progress: (line: string) => void): Promise<void> {
  const client = new HttpClient(options.url.replace(/\/$/, ''), localSecret());
  let lastPosition = 0;
  await runStory(client, ({ index, total, step, answer }) => {
    if (answer.status < 300) lastPosition = Math.max(lastPosition, answer.body.position ?? 0);
    const outcome = answer.status >= 400 ? ` (refused: ${answer.body.code})` : '';
    progress(`\r\x1b[2K${bar(index + 1, total)} ${step.label}${outcome}`);
  });
  progress('\n');
  const permits = await client.call('GET', '/permits?limit=500', 'viewer');
  const items = permits.body.items as Array<{
    permitNumber: string;
    status: string;
    destination: string;
    exporter: { name: string };
    expiresOn: string;
    lastDecisionRef: string | null;
  }>;
  const rows = items.map((p) => [p.permitNumber, p.status, p.destination, p.exporter.name, p.expiresOn, p.lastDecisionRef ?? '']);
  table(out, ['permit', 'status', 'dest', 'exporter', 'expires', 'last decision'], rows);
  const applications = await client.call('GET', '/applications?limit=500', 'viewer');
  const held = applications.body.items as Array<{
    applicationRef: string;
    status: string;
    destination: string;
    heldBy: string | null;
    permitNumber: string | null;
  }>;
  out('');
  table(
    out,
    ['application', 'status', 'dest', 'held by', 'permit'],
    held.map((a) => [a.applicationRef, a.status, a.destination, a.heldBy ?? '', a.permitNumber ?? '']),
  );
  // The figures the annual report to Parliament gives for Turkey, year by year.
  const years = [2019, 2020, 2021];
  const reports = await Promise.all(years.map((year) => client.call('GET', `/reports/exports?year=${year}&destination=TR`, 'viewer')));
  out('');
  table(
    out,
    ['TR', 'received', 'approved', 'refused', 'withdrawn', 'on hold', 'issued', 'suspended', 'cancelled', 'exported CAD'],
    reports.map((r, i) => {
      const e = (r.body.entries as ReportEntry[])[0];
      const a = e.applications;
      const p = e.permits;
      return [years[i], a.received, a.approved, a.refused, a.withdrawn, a.onHold, p.issued, p.suspended, p.cancelled, e.valueExportedCad];
    }),
  );
  out(`\nlast position ${lastPosition}; dashboard figures: GET ${options.url}/api/v1/stats`);
}

interface ReportEntry {
  applications: { received: number; approved: number; refused: number; withdrawn: number; onHold: number };
  permits: { issued: number; suspended: number; cancelled: number };
  valueExportedCad: number;
}

/** A plain text table: a header, a rule, the rows, each column as wide as its widest cell. */
function table(out: (line: string) => void, header: string[], rows: unknown[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: unknown[]) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  out(line(header));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out(line(row));
}
