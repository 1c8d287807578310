#!/usr/bin/env node
// Soak test (not in CI): `npm run soak -- --seconds 60 [--connections 32] [--data-dir DIR]`.
// Starts the built service on a fresh store, runs the lifecycle workload (issue, then suspend /
// reinstate in turn, plus reads) over keep-alive connections for the given time, samples the
// service's RSS every second, and reports RSS start / end / peak, throughput and every error.
// Exits 1 if any request failed or the service died.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { SERVICE_NODE_FLAGS } from './service-flags.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist/apps/permit-service/src/main.js');
// The e2e tier's load, from the built story library (npm run soak builds first).
const { germanPermit } = await import(pathToFileURL(join(ROOT, 'dist/libs/story/src/index.js')).href);
const SECRET = 'soak-secret-soak-secret-soak-secret-0123';
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SECONDS = Number(arg('seconds', 60));
const CONNECTIONS = Number(arg('connections', 32));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mb = (kb) => Math.round(kb / 102.4) / 10;

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

const port = await new Promise((ok) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => ok(p));
  });
});
const dataDir = arg('data-dir') ?? mkdtempSync(join(tmpdir(), 'permit-soak-'));
const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
  env: {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    AUTH_JWT_SECRET: SECRET,
    NODE_ENV: 'production',
    // Required in production: one key and origin for the run.
    LEDGER_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    LEDGER_ORIGIN: 'permit-ledger.soak',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '100000000',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serviceOutput = '';
child.stdout.on('data', (b) => (serviceOutput = (serviceOutput + b).slice(-20000)));
child.stderr.on('data', (b) => (serviceOutput = (serviceOutput + b).slice(-20000)));
let died = null;
child.on('exit', (code, signal) => (died = { code, signal }));
const url = `http://127.0.0.1:${port}`;
for (let t = Date.now(); ;) {
  if (died) throw new Error(`service exited before ready: ${serviceOutput}`);
  if (
    (await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    )) === 200
  )
    break;
  if (Date.now() - t > 60_000) throw new Error(`service not ready in 60 s: ${serviceOutput}`);
  await sleep(50);
}

const token = await new SignJWT({ roles: ['officer', 'minister', 'auditor'] })
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('soak')
  .setIssuedAt()
  // Within AUTH_MAX_TOKEN_LIFETIME_SECONDS (12 h): a longer-lived token is refused.
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(SECRET));
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
function call(method, path, body, headers = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((ok, fail) => {
    const req = http.request(
      `${url}/api/v1${path}`,
      {
        method,
        agent,
        headers: {
          Authorization: `Bearer ${token}`,
          ...headers,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

const samples = [];
const sample = () => {
  const kb = rssKb(child.pid);
  if (kb !== undefined) samples.push({ t: Date.now(), kb });
};
sample();
const startKb = samples[0]?.kb;
const sampler = setInterval(sample, 1000);
const errors = new Map();
const noteError = (what) => errors.set(what, (errors.get(what) ?? 0) + 1);
let commands = 0;
let reads = 0;
const deadline = Date.now() + SECONDS * 1000;
let seq = 0;
const started = Date.now();
console.error(`soak: ${SECONDS} s, ${CONNECTIONS} connections, ${cpus().length} cores, node ${process.version}, data in ${dataDir}`);
const progress = setInterval(() => {
  const s = samples.at(-1);
  console.error(
    `soak: ${Math.round((Date.now() - started) / 1000)} s, ${commands} commands, ${reads} reads, RSS ${s ? mb(s.kb) : '?'} MB, errors ${[...errors.values()].reduce((a, b) => a + b, 0)}`,
  );
}, 10_000);

async function worker(w) {
  while (Date.now() < deadline && !died) {
    const n = `SOAK-${String(w).padStart(2, '0')}-${String(seq++).padStart(7, '0')}`;
    for (let step = 0; step < 5 && Date.now() < deadline; step++) {
      try {
        const path = step === 0 ? '/permits' : `/permits/${n}/${step % 2 ? 'suspend' : 'reinstate'}`;
        const body = step === 0 ? germanPermit(n) : { reason: `soak ${step}`, legalBasis: 'EIPA s.10(1)', effectiveAt: '2021-06-01' };
        const r = await call('POST', path, body);
        if (r.status !== 200 && r.status !== 201) {
          noteError(`POST ${step === 0 ? '/permits' : step % 2 ? 'suspend' : 'reinstate'} ${r.status} ${r.body.slice(0, 120)}`);
          break;
        }
        commands++;
        if (step === 4) {
          const position = JSON.parse(r.body).position;
          const q = await call('GET', `/permits/${n}`, undefined, { 'X-Min-Position': String(position) });
          if (q.status !== 200) noteError(`GET /permits/{n} ${q.status} ${q.body.slice(0, 120)}`);
          reads++;
        }
      } catch (error) {
        noteError(`network ${error.code ?? error.message}`);
        if (died) return;
        await sleep(100);
      }
    }
  }
}
await Promise.all(Array.from({ length: CONNECTIONS }, (_, w) => worker(w)));
clearInterval(progress);
clearInterval(sampler);
sample();
const seconds = (Date.now() - started) / 1000;
const endKb = samples.at(-1)?.kb;
const peakKb = Math.max(...samples.map((s) => s.kb));
// Growth over the second half of the run (past warm-up): a leak keeps growing, a plateau does not.
const half = samples.filter((s) => s.t >= started + (seconds * 1000) / 2);
const ready = died
  ? 0
  : await fetch(`${url}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
agent.destroy();

const diedDuringLoad = died;
let exit = null;
if (!died) {
  const exited = new Promise((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  exit = await exited;
}
const report = {
  seconds: Math.round(seconds),
  connections: CONNECTIONS,
  commands,
  reads,
  commandsPerSecond: Math.round(commands / seconds),
  rssMb: {
    start: mb(startKb),
    end: mb(endKb),
    peak: mb(peakKb),
    growth: mb(endKb - startKb),
    secondHalfGrowth: half.length > 1 ? mb(half.at(-1).kb - half[0].kb) : null,
  },
  readyAtEnd: ready,
  serviceDied: diedDuringLoad,
  gracefulExitCode: exit,
  errors: Object.fromEntries(errors),
};
console.log(JSON.stringify(report, null, 2));
if (!arg('data-dir')) rmSync(dataDir, { recursive: true, force: true });
const failed = errors.size > 0 || diedDuringLoad !== null || exit !== 0;
if (failed)
  console.error(`soak: FAILED${diedDuringLoad ? ` (service died: ${JSON.stringify(diedDuringLoad)}; ${serviceOutput.slice(-2000)})` : ''}`);
process.exit(failed ? 1 : 0);
