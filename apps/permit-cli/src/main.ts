import { parseArgs } from 'node:util';
import { rebuild } from './rebuild.js';
import { story } from './story.js';
import { token } from './token.js';

const USAGE = `permit-cli <command> [options]

commands:
  token   --role <role>[,<role>] --sub <subject> [--expires 12h]   print a bearer token (HS256, AUTH_JWT_SECRET or DATA_DIR's secret)
  rebuild                                                          drop the read models and replay them from the log (service stopped)
  story   [--url http://localhost:3000]                            load the 2019-2021 story through the API of a running service
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
