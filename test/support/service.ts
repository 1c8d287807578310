import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { SignJWT } from 'jose';
import type { StoryAnswer, StoryClient } from '@permit-ledger/story';

export const MAIN = resolve('dist/apps/permit-service/src/main.js');
export const CLI = resolve('dist/apps/permit-cli/src/main.js');
export const SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built CLI, asynchronously rather than with spawnSync: an in-process EventStoreDB test server must keep answering meanwhile. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
    server.on('error', fail);
  });
}

const tokens = new Map<string, Promise<string>>();
export function token(role: string): Promise<string> {
  if (!tokens.has(role)) {
    tokens.set(
      role,
      new SignJWT({ roles: [role] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(`e2e-${role}`)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
    );
  }
  return tokens.get(role)!;
}

/** The built service as a separate process, on the embedded store in `dataDir`. */
export class Service implements StoryClient {
  private child?: ChildProcess;
  output = '';
  constructor(
    readonly dataDir: string,
    readonly port: number,
    /** Store selection for the process (EVENTSTORE_CONNECTION_STRING for EventStoreDB, nothing for SQLite). */
    readonly storeEnv: Record<string, string> = {},
  ) {}

  /** The environment of the service and of the CLI run against the same data. */
  env(): NodeJS.ProcessEnv {
    const { EVENTSTORE_CONNECTION_STRING: _, ...base } = process.env;
    return { ...base, ...this.storeEnv, PORT: String(this.port), DATA_DIR: this.dataDir, AUTH_JWT_SECRET: SECRET, NODE_ENV: 'test' };
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [MAIN], {
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.child.stderr!.on('data', (b: Buffer) => (this.output += b.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`service exited: ${this.output}`);
      const ready = await fetch(`${this.url}/health/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service not ready in 30 s: ${this.output}`);
  }

  /** SIGTERM: resolves with the exit code and everything the process printed. */
  terminate(): Promise<{ code: number | null; output: string }> {
    const child = this.child!;
    const exited = new Promise<{ code: number | null; output: string }>((r) =>
      child.once('exit', (code) => r({ code, output: this.output })),
    );
    child.kill('SIGTERM');
    return exited;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async call(method: string, path: string, role: string, body?: unknown, headers: Record<string, string> = {}): Promise<StoryAnswer> {
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${await token(role)}`, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  }
}

export { germanPermit } from '@permit-ledger/story';
