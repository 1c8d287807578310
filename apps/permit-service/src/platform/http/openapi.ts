import { applyDecorators, type INestApplication } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
  type HeadersObject,
  type OpenAPIObject,
  type OperationObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '@permit-ledger/config';
import { schema as s, type Schema, type Static } from '@permit-ledger/projections';
import { COUNTRY, PERMIT_NUMBER, REF } from './common.dto.js';
import { KIND_STATUS, statusesOf, type ErrorCode, type ErrorKind, type ProblemStatus } from '../errors/error-codes.js';
import type { Problem } from '../errors/problem.js';

/*
 * The OpenAPI document: served at /docs-json, the Swagger UI at /docs, both outside the
 * global prefix /api/v1 and without a token (SwaggerModule registers plain express routes, which the global
 * AuthGuard, a Nest guard, never sees).
 *
 * Controllers describe themselves with the helpers below, so that every route states the same things the
 * same way: its roles (in the description and as `x-roles`), the bearer scheme, the headers it reads, and
 * each error status with the codes it can carry, as application/problem+json `Problem` documents.
 */

export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
export const BEARER = 'bearer';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_SCHEMA_NAME = 'Problem';
export const PROBLEM_REF = `#/components/schemas/${PROBLEM_SCHEMA_NAME}`;

/** RFC 9457 problem details with the stable `code`: what problem.ts builds. */
export const ProblemView = s.named(
  PROBLEM_SCHEMA_NAME,
  s.object(
    {
      type: s.string({
        description: 'urn:permit-ledger:problem:<code in kebab case>',
        example: 'urn:permit-ledger:problem:validation-failed',
      }),
      title: s.string({ example: 'Bad Request' }),
      status: s.integer({ example: 400 }),
      detail: s.string({ example: 'invalid fields: items.0.quantity' }),
      code: s.string({ description: 'Stable: clients match on it.', example: 'VALIDATION_FAILED' }),
      errors: s.optional(
        s.array(
          s.named(
            'FieldError',
            s.object({
              field: s.string({ example: 'items.0.quantity' }),
              messages: s.array(s.string(), { example: ['quantity must not be less than 0'] }),
            }),
          ),
          { description: 'VALIDATION_FAILED and domain `invalid` refusals: every offending field, nested as items.0.quantity.' },
        ),
      ),
      errorsOmitted: s.optional(
        s.integer({ description: '`errors` lists at most 20 entries; this many more were found and are not listed.', example: 99980 }),
      ),
      currentRevision: s.optional(
        s.integer({ description: 'REVISION_MISMATCH: the revision the stream is at (also the ETag).', example: 3 }),
      ),
    },
    { description: 'An error (RFC 9457 problem details) with a stable `code`.', additionalProperties: true },
  ),
);
const _problemAgrees: s.Agree<
  Omit<Static<typeof ProblemView>, never>,
  Pick<Problem, 'type' | 'title' | 'status' | 'detail' | 'code' | 'errors'> & { errorsOmitted?: number; currentRevision?: number }
> = true;

/**
 * An error a route can answer: its code (answered under each status its kind maps to, see error-codes.ts), or a
 * code with the one kind it has on this route (REQUEST_TIMEOUT is 408 for a slow request, 503 for a slow answer).
 */
export type ProblemRef = ErrorCode | readonly [ErrorCode, ErrorKind];

const TITLES: Record<ProblemStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

const WHEN: Record<ProblemStatus, string> = {
  400: 'the body, a parameter or a header is malformed; every offending field is named in `errors`',
  401: 'no valid bearer token',
  403: "none of the token's roles may call this route",
  404: 'not found',
  408: 'the request (headers within 20 s, all of it within REQUEST_TIMEOUT_MS) did not arrive in time',
  409: 'the domain refuses the command on the current state',
  412: "`If-Match` does not match the stream's revision; the answer carries the current `ETag`",
  413: 'body over 1 MB',
  422: '`Idempotency-Key` reused with another request',
  429:
    'a limit was reached: `RATE_LIMITED`, too many commands for this token subject, or requests without a valid token from this address, in the current minute; ' +
    '`CONCURRENCY_LIMIT`, too many of these running at once for this token subject',
  431: 'headers or URL over 16 KB',
  503: 'try again after `Retry-After`',
};

/** Every route, public or not: what node refuses before any route runs. */
export const TRANSPORT_PROBLEMS: readonly ProblemRef[] = ['MALFORMED_REQUEST', ['REQUEST_TIMEOUT', 'timeout'], 'HEADERS_TOO_LARGE'];
/** Every route but the probes: requests without a valid token are limited per client address (see bootstrap.ts). */
export const ADDRESS_LIMIT_PROBLEMS: readonly ProblemRef[] = ['RATE_LIMITED'];
const PROBES = /^\/health\//;
/** Routes behind the AuthGuard. */
export const AUTH_PROBLEMS: readonly ProblemRef[] = ['UNAUTHENTICATED', 'FORBIDDEN'];
/** Every command (non-GET route): body parsing, validation, concurrency, idempotency, rate limit, the store. */
export const COMMAND_PROBLEMS: readonly ProblemRef[] = [
  'VALIDATION_FAILED',
  'MALFORMED_JSON',
  'BAD_REQUEST',
  'CONCURRENT_MODIFICATION',
  'REVISION_MISMATCH',
  'BODY_TOO_LARGE',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'STORE_UNAVAILABLE',
  ['REQUEST_TIMEOUT', 'unavailable'],
];

/** The codes of each status, in order of first appearance, each status taken from the code's kind. */
export function problemsByStatus(refs: readonly ProblemRef[]): Map<ProblemStatus, string[]> {
  const byStatus = new Map<ProblemStatus, string[]>();
  for (const ref of refs) {
    const [code, statuses] = typeof ref === 'string' ? [ref, statusesOf(ref)] : [ref[0], [KIND_STATUS[ref[1]]]];
    for (const status of statuses) {
      const codes = byStatus.get(status) ?? [];
      if (!codes.includes(code)) codes.push(code);
      byStatus.set(status, codes);
    }
  }
  return byStatus;
}

const RETRY_AFTER: HeadersObject = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };
const CURRENT_ETAG: HeadersObject = {
  ETag: { description: 'The current revision of the stream, quoted.', schema: { type: 'string', example: '"3"' } },
};

/** One application/problem+json answer per status, its description naming every code it can carry. */
export function ApiProblems(refs: readonly ProblemRef[]) {
  answered.add(ProblemView);
  const decorators = [...problemsByStatus(refs)]
    .sort(([a], [b]) => a - b)
    .map(([status, list]) => {
      const headers = status === 429 || status === 503 ? RETRY_AFTER : status === 412 ? CURRENT_ETAG : undefined;
      return ApiResponse({
        status,
        description: `${TITLES[status]}: ${WHEN[status]}. Codes: ${list.map((c) => `\`${c}\``).join(', ')}.`,
        ...(headers ? { headers } : {}),
        content: {
          [PROBLEM_MEDIA_TYPE]: {
            schema: { $ref: PROBLEM_REF },
            example: {
              type: `urn:permit-ledger:problem:${list[0].toLowerCase().replace(/_/g, '-')}`,
              title: TITLES[status],
              status,
              detail: WHEN[status],
              code: list[0],
            },
          },
        },
      });
    });
  return applyDecorators(...decorators);
}

/** Every schema a route answers with: the document's components are the named schemas they reach. */
const answered = new Set<Schema>();

/** A JSON answer whose body is `schema` (written once, beside the read model or handler that builds it). */
export function ApiAnswer(
  status: number,
  schema: Schema,
  options: { description?: string; headers?: HeadersObject; otherMedia?: Record<string, SchemaObject> } = {},
) {
  answered.add(schema);
  return ApiResponse({
    status,
    description: options.description ?? TITLES_2XX[status] ?? 'The answer.',
    ...(options.headers ? { headers: options.headers } : {}),
    // otherMedia: the same answer in another form the route gives by Accept (e.g. text/csv).
    content: {
      'application/json': { schema: JSON.parse(JSON.stringify(schema)) as SchemaObject },
      ...Object.fromEntries(Object.entries(options.otherMedia ?? {}).map(([media, s]) => [media, { schema: s }])),
    },
  });
}
const TITLES_2XX: Record<number, string> = { 200: 'OK.', 201: 'Created.', 202: 'Accepted.' };

export interface RouteDoc {
  summary: string;
  description?: string;
  /** The roles of the route's @Roles(), or 'public' for an @Public() route. */
  roles: readonly Role[] | 'public';
  /** The route's own error codes; the common ones of its kind are added, and each code's status comes from its kind. */
  problems?: readonly ProblemRef[];
}

function operation(doc: RouteDoc, problems: readonly ProblemRef[]) {
  const who = doc.roles === 'public' ? 'Public: no token needed.' : `Roles: ${doc.roles.join(', ')}.`;
  const decorators = [
    ApiOperation({ summary: doc.summary, description: [doc.description, who].filter(Boolean).join('\n\n') }),
    ApiExtension('x-roles', doc.roles === 'public' ? [] : [...doc.roles]),
    ApiProblems([
      ...problems,
      ...(doc.problems ?? []),
      ...(doc.roles === 'public' ? [] : AUTH_PROBLEMS),
      ...ADDRESS_LIMIT_PROBLEMS,
      ...TRANSPORT_PROBLEMS,
    ]),
  ];
  if (doc.roles !== 'public') decorators.push(ApiBearerAuth(BEARER));
  decorators.push(CORRELATION_ID_HEADER, REQUEST_ID_HEADER);
  return decorators;
}

export const IDEMPOTENCY_KEY_HEADER = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    'Makes the command safely retryable: the same key with the same body returns the first answer (with `Idempotent-Replayed: true`) and writes nothing more; ' +
    'the same key with another body is 422 `IDEMPOTENCY_KEY_REUSED`. 1-200 printable ASCII characters.',
  schema: { type: 'string', minLength: 1, maxLength: 200, example: 'suspend-004120' },
});
export const IF_MATCH_HEADER = ApiHeader({
  name: 'If-Match',
  required: false,
  description: 'Applies the command only if the stream is at this revision (quoted, as in `ETag`), else 412 `REVISION_MISMATCH`.',
  schema: { type: 'string', pattern: '^(W/)?"?(-1|[0-9]{1,15})"?$', example: '"0"' },
});
export const CORRELATION_ID_HEADER = ApiHeader({
  name: 'X-Correlation-Id',
  required: false,
  description:
    "Accepted on every request and returned (default: the request id); a command carries it into its events' `correlationId`. " +
    '1-200 printable ASCII characters.',
  schema: { type: 'string', minLength: 1, maxLength: 200, example: 'story-2020-10-05' },
});
export const REQUEST_ID_HEADER = ApiHeader({
  name: 'X-Request-Id',
  required: false,
  description:
    'Accepted on every request and returned (default: a generated id); it names the request in the logs. 1-200 printable ASCII characters.',
  schema: { type: 'string', minLength: 1, maxLength: 200 },
});
export const MIN_POSITION_HEADER = ApiHeader({
  name: 'X-Min-Position',
  required: false,
  description:
    "Read your writes: a command answer's `position`. The service waits (MIN_POSITION_WAIT_MS) until its projections have reached it, " +
    'else 503 `PROJECTIONS_BEHIND` with `Retry-After`.',
  schema: { type: 'string', pattern: '^[0-9]{1,15}$', example: '42' },
});

export const PERMIT_NUMBER_PARAM = ApiParam({
  name: 'permitNumber',
  schema: { type: 'string', pattern: PERMIT_NUMBER.source },
  example: 'EXP-19-004120',
});
export const REVIEW_ID_PARAM = ApiParam({ name: 'reviewId', schema: { type: 'string', pattern: REF.source }, example: 'R-2020-TR-1' });
export const COUNTRY_PARAM = ApiParam({
  name: 'country',
  description: 'ISO 3166 alpha-2.',
  schema: { type: 'string', pattern: COUNTRY.source },
  example: 'TR',
});
export const MEASURE_ID_PARAM = ApiParam({ name: 'measureId', schema: { type: 'string', pattern: REF.source }, example: 'TR-2019-10' });
export const DECISION_REF_PARAM = ApiParam({
  name: 'decisionRef',
  schema: { type: 'string', pattern: REF.source },
  example: 'MIN-2021-04-12',
});

/** Answer headers of every command. */
export const COMMAND_ANSWER_HEADERS: HeadersObject = {
  ETag: {
    description: 'The stream revision after the command, quoted: send it back as `If-Match`.',
    schema: { type: 'string', example: '"1"' },
  },
  'Idempotent-Replayed': {
    description: '`true` when the answer is the replay of an earlier request with the same `Idempotency-Key`.',
    schema: { type: 'string', enum: ['true'] },
  },
};

/** A command route (POST): bearer token, roles, Idempotency-Key / If-Match (and X-Correlation-Id, as every route), the command errors. */
export function ApiCommand(doc: RouteDoc) {
  return applyDecorators(...operation(doc, COMMAND_PROBLEMS), IDEMPOTENCY_KEY_HEADER, IF_MATCH_HEADER);
}

/** A read route (GET). `minPosition`: it honours X-Min-Position; `timeout: false`: it streams without the request timeout. */
export function ApiRead(doc: RouteDoc & { minPosition?: boolean; timeout?: boolean }) {
  const problems: ProblemRef[] = [
    ...(doc.roles === 'public' && !doc.minPosition ? [] : (['VALIDATION_FAILED'] as const)),
    ...(doc.minPosition ? (['PROJECTIONS_BEHIND'] as const) : []),
    ...(doc.timeout === false ? [] : [['REQUEST_TIMEOUT', 'unavailable'] as const]),
  ];
  return applyDecorators(...operation(doc, problems), ...(doc.minPosition ? [MIN_POSITION_HEADER] : []));
}

/** Any other route (e.g. a public POST that is not a command): operation, roles, bearer scheme when not public, errors. */
export function ApiRoute(doc: RouteDoc) {
  return applyDecorators(...operation(doc, []));
}

const DESCRIPTION = `An event-sourced ledger of export permits for military goods: every fact is appended once to an immutable,
hash-chained stream; reads come from projections of the ordered log.

**Auth**: \`Authorization: Bearer <JWT>\` with \`sub\` and a \`roles\` array (officer, minister, auditor, viewer, system).
Each operation names the roles it allows (also as \`x-roles\`); the event's actor is the token's subject and the first of its
roles that the route allows. \`/health/*\`, \`/docs\`, \`/docs-json\` and \`GET /api/v1/ledger/public-key\` need no token.

**Commands** accept \`Idempotency-Key\` and \`If-Match\` and answer the stored events with an \`ETag\`;
**reads** accept \`X-Min-Position\` (a command answer's \`position\`) to read their own writes. Every request may send
\`X-Correlation-Id\` and \`X-Request-Id\`, and every answer returns both; commands carry the correlation id into their events.

**Errors** are \`application/problem+json\` (schema \`Problem\`) with a stable \`code\`:

| status | codes |
|---|---|
| 400 | VALIDATION_FAILED (at most 20 \`errors\` listed, \`errorsOmitted\` counts the rest), MALFORMED_JSON, BAD_REQUEST, MALFORMED_REQUEST, domain \`invalid\` codes such as INVALID_VALIDITY, AMENDMENT_NOT_ALLOWED |
| 401 / 403 | UNAUTHENTICATED / FORBIDDEN |
| 404 | PERMIT_NOT_FOUND, REVIEW_NOT_FOUND, MEASURE_NOT_FOUND, DESTINATION_NOT_FOUND, DECISION_NOT_FOUND, PERMIT_NOT_YET_ISSUED, EXPORT_SCOPE_NOT_FOUND, NO_CHECKPOINT, ROUTE_NOT_FOUND (any unknown route) |
| 408 | REQUEST_TIMEOUT (headers not in within 20 s, the whole request not within REQUEST_TIMEOUT_MS) |
| 409 | PERMIT_ALREADY_EXISTS, INVALID_TRANSITION, PERMIT_TERMINAL, PERMIT_EXPIRED, PERMIT_NOT_YET_EXPIRED, EFFECTIVE_AT_BEFORE_LAST_EVENT, ISSUANCE_BLOCKED, REVIEW_ALREADY_OPEN, REVIEW_NOT_OPEN, MEASURE_ALREADY_EXISTS, MEASURE_ALREADY_LIFTED, DECISION_ALREADY_RECORDED, CONCURRENT_MODIFICATION |
| 412 | REVISION_MISMATCH (with the current ETag) |
| 413 | BODY_TOO_LARGE (1 MB) |
| 422 | IDEMPOTENCY_KEY_REUSED |
| 429 | RATE_LIMITED (commands per token subject; requests without a valid token per client address), CONCURRENCY_LIMIT (live feeds, ledger verifications per subject); with Retry-After |
| 431 | HEADERS_TOO_LARGE (headers or URL over 16 KB) |
| 503 | PROJECTIONS_BEHIND, STORE_UNAVAILABLE, REQUEST_TIMEOUT, BUSY (the service's own bound on live feeds or ledger verifications); with Retry-After |

A refused command writes nothing.`;

/** The version of the package this file belongs to (found upwards from here, in src/ and in dist/), else '1'. */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'permit-ledger' && pkg.version) return pkg.version;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return '1';
    dir = parent;
  }
}

/** The named schemas `document` refers to, found from its paths (request DTOs' are the scanner's already). */
function referencedComponents(document: OpenAPIObject, named: Record<string, object>): Record<string, object> {
  const all: Record<string, object> = { ...(document.components?.schemas ?? {}), ...named };
  const used: Record<string, object> = {};
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
        const name = value.slice('#/components/schemas/'.length);
        if (!used[name] && all[name]) {
          used[name] = all[name];
          visit(all[name]);
        }
      } else visit(value);
    }
  };
  visit(document.paths);
  return Object.fromEntries(
    Object.keys(used)
      .sort()
      .map((name) => [name, used[name]]),
  );
}

/** The document of the app's controllers (OpenAPI 3.1: JSON Schema 2020-12), with the bearer scheme and the Problem schema. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('permit-ledger')
    .setDescription(DESCRIPTION)
    .setVersion(packageVersion())
    .addServer('/', 'This service: the API under /api/v1, the probes, metrics and docs at the root.')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A JWT with `sub` and a `roles` array (HS256, RS256 or ES256).' },
      BEARER,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const op of Object.values(item) as Array<OperationObject | undefined>) {
      if (!op?.responses) continue;
      // The probes are exempt from the address limit, the only 429 they could have answered.
      if (PROBES.test(path)) delete op.responses['429'];
      // A public route says so: no security requirement at all (an empty list), not an unstated one.
      op.security ??= [];
    }
  }
  document.components = { ...document.components, schemas: referencedComponents(document, s.components([...answered])) };
  return document;
}

/**
 * Serves the document at /docs-json and the Swagger UI at /docs (outside /api/v1, no token). Call it before
 * the catch-all 404 middleware is installed: SwaggerModule adds plain express routes and static assets,
 * which express matches in the order they were added.
 */
export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = createOpenApiDocument(app);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'permit-ledger API',
  });
  return document;
}
