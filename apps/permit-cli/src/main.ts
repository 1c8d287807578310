import { parseArgs } from 'node:util';
import type { ExportScope } from '@permit-ledger/event-store';
import { exportLedger } from './export.js';
import { rebuild } from './rebuild.js';
import { story } from './story.js';
import { token } from './token.js';
import { verify } from './verify.js';

const USAGE = `permit-cli <command> [options]

commands:
  token   --role <role>[,<role>] --sub <subject> [--expires 12h]   print a bearer token (HS256, AUTH_JWT_SECRET or DATA_DIR's secret)
  rebuild                                                          drop the read models and replay them from the log (service stopped)
  story   [--url http://localhost:3000]                            load the 2019-2021 story through the API of a running service
  verify  [--file export.ndjson] [--public-key key.pem]            verify the whole store (or an export, offline); JSON on stdout, exit 1 when broken
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
      const { values } = parseArgs({ args: rest, options: { file: { type: 'string' }, 'public-key': { type: 'string' } } });
      const report = await verify({ file: values.file, publicKeyFile: values['public-key'] }, (text) => process.stderr.write(text));
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
    case 'rebuild':
      await rebuild((line) => process.stderr.write(line));
      return 0;
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`permit-cli: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
