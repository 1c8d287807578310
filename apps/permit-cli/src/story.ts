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
  const header = ['permit', 'status', 'dest', 'exporter', 'expires', 'last decision'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: unknown[]) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  out(line(header));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) out(line(row));
  out(`\nlast position ${lastPosition}; dashboard figures: GET ${options.url}/api/v1/stats`);
}
