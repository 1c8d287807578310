import { parseArgs } from 'node:util';
import type { ExportScope } from '@permit-ledger/event-store';
import { audit, unexpectedFailure } from './audit.js';
import { verifyBundle } from './bundle.js';
import { exportLedger } from './export.js';
import { rebuild } from './rebuild.js';
import { story } from './story.js';
import { token } from './token.js';
import { verify } from './verify.js';
import { runWitness, witnessKey } from './witness.js';

const USAGE = `permit-cli <command> [options]

commands:
  token   --role <role>[,<role>] --sub <subject> [--expires 12h]   print a bearer token (HS256, AUTH_JWT_SECRET or DATA_DIR's secret)
  rebuild                                                          drop the read models and replay them from the log (service stopped)
  story   [--url http://localhost:3000]                            load the 2019-2021 story through the API of a running service
  verify  [--file export.ndjson] [--public-key key.pem] [--verifier-key key.vkey]
                                                                   verify the whole store (or an export, offline); JSON on stdout, exit 1 when broken;
                                                                   with the verifier key, checkpoints must be signed under its origin
  verify  --bundle evidence.json --verifier-key key.vkey [--witness-key <vkey>]... [--origin O]
                                                                   verify a permit's or decision's evidence offline: hashes, chains, inclusion
                                                                   proofs, the checkpoint's signature (and witnesses' cosignatures)
  audit   --url <service> --verifier-key key.vkey --state held.checkpoint [--witness-key <vkey>]... [--origin O] [--timeout 30]
                                                                   check the latest checkpoint against the held one (consistency), then keep it;
                                                                   a conflict is kept in held.checkpoint.conflict
  witness --key witness.key --state DIR [--port 7380] [--host 127.0.0.1] [--log <log verifier key>]...
                                                                   run a C2SP tlog-witness (logs also from DIR/logs, one verifier key a line)
  witness-key --name <name> [--out witness.key]                    new witness key: the private key to FILE (or stdout), the verifier key on stdout
  export  [--format ndjson|csv] [--permit N | --decision REF] [--out FILE]
                                                                   stream the ledger, a permit or a decision's permits to stdout or FILE
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'token': {
      const { values } = parseArgs({
        args: rest,
        options: { role: { type: 'string', multiple: true }, sub: { type: 'string' }, expires: { type: 'string' } },
      });
      console.log(await token({ roles: (values.role ?? []).flatMap((r) => r.split(',')), sub: values.sub, expires: values.expires }));
      return 0;
    }
    case 'story': {
      const { values } = parseArgs({ args: rest, options: { url: { type: 'string' } } });
      await story(
        { url: values.url ?? `http://localhost:${process.env.PORT ?? 3000}` },
        (line) => console.log(line),
        (line) => process.stderr.write(line),
      );
      return 0;
    }
    case 'verify': {
      const { values } = parseArgs({
        args: rest,
        options: {
          file: { type: 'string' },
          'public-key': { type: 'string' },
          bundle: { type: 'string' },
          'verifier-key': { type: 'string' },
          'witness-key': { type: 'string', multiple: true },
          origin: { type: 'string' },
        },
      });
      if (values.bundle !== undefined) {
        if (values['verifier-key'] === undefined) return usage();
        const report = verifyBundle({
          bundleFile: values.bundle,
          verifierKeyFile: values['verifier-key'],
          witnessKeys: values['witness-key'],
          origin: values.origin,
        });
        console.log(JSON.stringify(report, null, 2));
        if (report.firstBroken) process.stderr.write(`permit-cli: ${report.firstBroken.reason}: ${report.firstBroken.detail}\n`);
        return report.valid ? 0 : 1;
      }
      const report = await verify(
        { file: values.file, publicKeyFile: values['public-key'], verifierKeyFile: values['verifier-key'] },
        (text) => process.stderr.write(text),
      );
      console.log(JSON.stringify(report, null, 2));
      return report.valid ? 0 : 1;
    }
    case 'export': {
      const { values } = parseArgs({
        args: rest,
        options: { format: { type: 'string' }, permit: { type: 'string' }, decision: { type: 'string' }, out: { type: 'string' } },
      });
      const format = values.format ?? 'ndjson';
      if ((format !== 'ndjson' && format !== 'csv') || (values.permit && values.decision)) {
        process.stderr.write(USAGE);
        return 2;
      }
      const scope: ExportScope = values.permit
        ? { kind: 'permit', permitNumber: values.permit }
        : values.decision
          ? { kind: 'decision', decisionRef: values.decision }
          : { kind: 'ledger' };
      await exportLedger({ format, scope, out: values.out }, (line) => process.stderr.write(line));
      return 0;
    }
    case 'audit': {
      const { values } = parseArgs({
        args: rest,
        options: {
          url: { type: 'string' },
          'verifier-key': { type: 'string' },
          state: { type: 'string' },
          origin: { type: 'string' },
          'witness-key': { type: 'string', multiple: true },
          timeout: { type: 'string' },
        },
      });
      const timeout = Number(values.timeout ?? 30);
      if (!values.url || !values['verifier-key'] || !values.state || !(timeout > 0 && timeout <= 3600)) return usage();
      try {
        const report = await audit({
          url: values.url,
          verifierKeyFile: values['verifier-key'],
          stateFile: values.state,
          origin: values.origin,
          witnessKeys: values['witness-key'],
          timeoutMs: Math.round(timeout * 1000),
        });
        console.log(JSON.stringify(report, null, 2));
        return 0;
      } catch (error) {
        const failure = unexpectedFailure(error);
        const evidence = failure.evidence === undefined ? {} : { evidence: failure.evidence };
        console.log(JSON.stringify({ valid: false, reason: failure.reason, detail: failure.detail, ...evidence }, null, 2));
        process.stderr.write(`permit-cli: ${failure.message}\n`);
        if (failure.evidence !== undefined)
          process.stderr.write(`permit-cli: the conflicting checkpoint and proof are kept in ${failure.evidence}\n`);
        return 1;
      }
    }
    case 'witness': {
      const { values } = parseArgs({
        args: rest,
        options: {
          key: { type: 'string' },
          state: { type: 'string' },
          port: { type: 'string' },
          host: { type: 'string' },
          log: { type: 'string', multiple: true },
        },
      });
      const port = Number(values.port ?? 7380);
      if (!values.key || !values.state || !Number.isInteger(port) || port < 0 || port > 65535) return usage();
      await runWitness(
        { keyFile: values.key, stateDir: values.state, port, host: values.host ?? '127.0.0.1', logs: values.log ?? [] },
        (line) => process.stderr.write(line),
      );
      return 0;
    }
    case 'witness-key': {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, out: { type: 'string' } } });
      if (!values.name) return usage();
      for (const line of witnessKey(values.name, values.out)) console.log(line);
      return 0;
    }
    case 'rebuild':
      await rebuild((line) => process.stderr.write(line));
      return 0;
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

function usage(): number {
  process.stderr.write(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`permit-cli: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
