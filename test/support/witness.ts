import { expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI, runCli } from './service.js';

export interface WitnessProcess {
  url: string;
  verifierKey: string;
  stop(): Promise<number | null>;
}

/**
 * `permit-cli witness-key` (unless `keyFile` exists) then `permit-cli witness` on a port of its own choosing,
 * read back from its output, witnessing the logs of `logKeys` (note verifier keys).
 */
export async function startWitnessProcess(options: {
  name: string;
  logKeys: string[];
  state: string;
  keyFile: string;
  env: NodeJS.ProcessEnv;
}): Promise<WitnessProcess> {
  const { name, logKeys, state, keyFile: key, env } = options;
  let verifierKey = '';
  if (!existsSync(key)) {
    const generated = await runCli(['witness-key', '--name', name, '--out', key], env);
    expect(generated.code).toBe(0);
    verifierKey = generated.stdout.trim();
  }
  const logs = logKeys.flatMap((k) => ['--log', k]);
  const child: ChildProcess = spawn(process.execPath, [CLI, 'witness', '--key', key, '--state', state, '--port', '0', ...logs], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (b: Buffer) => {
      output += b.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output);
      const vkey = /verifier key (\S+)/.exec(output);
      if (found && vkey) {
        verifierKey ||= vkey[1];
        resolve(found[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`witness exited ${code}: ${output}`)));
  });
  return {
    url,
    verifierKey,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}
