import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod, type INestApplication, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ApplicationConfig, DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';
import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { readFileSync } from 'node:fs';
import { metadataKeys } from '../auth/roles.js';
import { startTestApp, type TestApp } from '../../testing/test-app.js';
import * as commonDtos from './common.dto.js';
import * as decisionDtos from '../../decisions/decision.dto.js';
import * as destinationDtos from '../../destinations/destination-commands.dto.js';
import * as ledgerDtos from '../../ledger/ledger.dto.js';
import * as permitDtos from '../../permits/permit-commands.dto.js';
import * as queryDtos from '../../permits/permit-queries.dto.js';
import { DOMAIN_ERROR_KINDS } from '@permit-ledger/permits';
import { APPLICATION_ERROR_KINDS, statusesOf, type ErrorCode } from '../errors/error-codes.js';
import { BEARER, PROBLEM_MEDIA_TYPE, PROBLEM_REF, setupOpenApi } from './openapi.js';

/*
 * The OpenAPI document as served at /docs-json, checked against the app's real routes: every controller route
 * found by a metadata scan of the app's controllers (the same scan and path factory Nest routes with) must be
 * in the document and documented — summary, roles, bearer scheme, success schema, problem+json errors — and
 * every request body's schema must list exactly the DTO's validated fields, required where the DTO requires them.
 * A controller added without swagger decorators fails here. That the answers fit their schemas is contract.int-spec.ts's.
 */

interface ControllerRoute {
  method: string; // get, post, ...
  path: string; // OpenAPI form: /api/v1/permits/{permitNumber}
  expressPath: string; // /api/v1/permits/:permitNumber
  controller: Type;
  handler: string;
  isPublic: boolean;
  roles: string[];
  body?: Type;
  query?: Type;
}

interface ExpressLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

const HTTP_METHODS = ['get', 'post', 'put', 'delete', 'patch', 'options', 'head', 'search'];
/** Answers that are by design not problem documents: readiness answers its health report with 503. */
const NOT_PROBLEMS = new Set(['GET /health/ready 503']);

function expressStack(app: INestApplication): ExpressLayer[] {
  return (app.getHttpAdapter().getInstance() as { router: { stack: ExpressLayer[] } }).router.stack;
}

/**
 * Serves /docs and /docs-json the way bootstrap.ts will. While createApp does not call setupOpenApi yet, the
 * spec does, and moves SwaggerModule's express layers ahead of the catch-all 404 that createApp installs last.
 * Once bootstrap.ts calls it, nothing is moved, so a call placed after the 404 middleware fails the spec.
 */
function serveDocs(app: INestApplication): void {
  const stack = expressStack(app);
  if (stack.some((layer) => layer.route?.path === '/docs-json')) return;
  const before = stack.length;
  setupOpenApi(app);
  const added = stack.splice(before);
  stack.splice(before - 1, 0, ...added);
}

/** Every handler of every controller in the app, with the paths Nest routes it at. */
function controllerRoutes(app: INestApplication): ControllerRoute[] {
  const discovery = new DiscoveryService(app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const config = app.get(ApplicationConfig);
  const paths = new RoutePathFactory(config);
  const prefix = config.getGlobalPrefix();
  const routes: ControllerRoute[] = [];
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Type | undefined;
    if (!controller) continue;
    const ctrlPaths = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '/');
    for (const handler of scanner.getAllMethodNames(controller.prototype)) {
      const fn = controller.prototype[handler] as object;
      const methodPath = Reflect.getMetadata(PATH_METADATA, fn) as string | string[] | undefined;
      const requestMethod = Reflect.getMetadata(METHOD_METADATA, fn) as RequestMethod | undefined;
      if (methodPath === undefined || requestMethod === undefined) continue;
      const isPublic = Boolean(Reflect.getMetadata(metadataKeys.public, fn) ?? Reflect.getMetadata(metadataKeys.public, controller));
      const roles = (Reflect.getMetadata(metadataKeys.roles, fn) ?? Reflect.getMetadata(metadataKeys.roles, controller) ?? []) as string[];
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<string, { index: number }>;
      const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, handler) ?? []) as Type[];
      const argType = (kind: RouteParamtypes) => {
        const entry = Object.entries(args).find(([key]) => key.split(':')[0] === String(kind));
        return entry ? types[entry[1].index] : undefined;
      };
      const methods = requestMethod === RequestMethod.ALL ? HTTP_METHODS : [RequestMethod[requestMethod].toLowerCase()];
      for (const ctrlPath of ctrlPaths) {
        for (const mPath of ([] as string[]).concat(methodPath)) {
          const full = paths.create(
            { ctrlPath, methodPath: mPath, globalPrefix: prefix ? `/${prefix.replace(/^\/|\/$/g, '')}` : undefined },
            requestMethod,
          );
          for (const expressPath of full) {
            for (const method of methods) {
              routes.push({
                method,
                expressPath,
                path: expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
                controller,
                handler,
                isPublic,
                roles,
                body: argType(RouteParamtypes.BODY),
                query: argType(RouteParamtypes.QUERY),
              });
            }
          }
        }
      }
    }
  }
  return routes;
}

/** Request DTO classes by name (= their schema name in the document). */
const DTOS = new Map<string, Type>(
  [commonDtos, decisionDtos, destinationDtos, ledgerDtos, permitDtos, queryDtos]
    .flatMap((module) => Object.values(module))
    .filter((value): value is Type => typeof value === 'function' && /^[A-Z]\w*Dto$/.test(value.name))
    .map((dto) => [dto.name, dto]),
);

const label = (route: ControllerRoute) => `${route.method.toUpperCase()} ${route.path} (${route.controller.name}.${route.handler})`;

/** What class-validator sees on a DTO (inherited fields included): every validated field, and those without @IsOptional. */
function validatedFields(dto: Type): { all: string[]; required: string[] } {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const all = [...new Set(metadata.map((m) => m.propertyName))].sort();
  const optional = new Set(metadata.filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION).map((m) => m.propertyName));
  return { all, required: all.filter((name) => !optional.has(name)) };
}

function deref(document: OpenAPIObject, schema: SchemaObject | ReferenceObject | undefined): SchemaObject {
  if (!schema) throw new Error('no schema');
  if ('$ref' in schema) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`dangling $ref ${schema.$ref}`);
    return deref(document, target);
  }
  // A $ref with siblings (an example, nullable) is written as a single-element allOf.
  if (schema.allOf?.length === 1 && !schema.properties) return deref(document, schema.allOf[0]);
  return schema;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: OpenAPIObject;
  let routes: ControllerRoute[];
  const operation = (route: ControllerRoute) => document.paths[route.path]?.[route.method as 'get'] as OperationObject | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    serveDocs(t.app);
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    document = res.body as OpenAPIObject;
    routes = controllerRoutes(t.app);
  });
  afterAll(() => t.close());

  it('is served at /docs-json without a token: title, version, bearer JWT scheme and the Problem schema', async () => {
    const res = await t.http().get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const pkg = JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info).toMatchObject({ title: 'permit-ledger', version: pkg.version });
    expect(document.components?.securitySchemes?.[BEARER]).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components?.schemas?.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    });
    // A bad token does not matter either: the document is not behind the AuthGuard.
    expect((await t.http().get('/docs-json').set('Authorization', 'Bearer not-a-token')).status).toBe(200);
    // Outside the global prefix only.
    expect((await t.http().get('/api/v1/docs-json')).status).toBe(404);
  });

  it('serves the Swagger UI at /docs without a token, with its assets and the document', async () => {
    const page = await t.http().get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<title>permit-ledger API</title>');
    expect(page.text).toContain('swagger-ui-bundle.js');
    const init = await t.http().get('/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
    expect(init.text).toContain('"title": "permit-ledger"');
    const bundle = await t.http().get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
  });

  it('finds the controller routes as Nest serves them (the scan is not empty and matches the express router)', () => {
    const served = new Set(
      expressStack(t.app).flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m} ${layer.route!.path}`) : [])),
    );
    expect(routes.length).toBeGreaterThanOrEqual(26);
    const unserved = routes.filter((route) => !served.has(`${route.method} ${route.expressPath}`)).map(label);
    expect(unserved).toEqual([]);
    // The contract's routes are among them.
    const found = new Set(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
    for (const expected of [
      'POST /api/v1/permits',
      'POST /api/v1/permits/{permitNumber}/reviews/{reviewId}/findings',
      'POST /api/v1/destinations/{country}/measures/{measureId}/lift',
      'POST /api/v1/decisions',
      'GET /api/v1/permits/{permitNumber}/state',
      'GET /api/v1/decisions/{decisionRef}',
      'GET /api/v1/ledger/export',
      'GET /health/ready',
    ]) {
      expect(found).toContain(expected);
    }
  });

  it('documents every controller route: path and method, summary, roles (as @Roles says), success schema', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const op = operation(route);
      if (!op) {
        problems.push(`${label(route)}: missing from the document`);
        continue;
      }
      if (!op.summary?.trim()) problems.push(`${label(route)}: no @ApiOperation summary`);
      const xRoles = (op as unknown as Record<string, unknown>)['x-roles'] as string[] | undefined;
      const expectedRoles = route.isPublic ? [] : [...route.roles].sort();
      if (!xRoles || JSON.stringify([...xRoles].sort()) !== JSON.stringify(expectedRoles)) {
        problems.push(`${label(route)}: x-roles ${JSON.stringify(xRoles)} but the route allows ${JSON.stringify(expectedRoles)}`);
      }
      if (!route.isPublic && !expectedRoles.every((role) => op.description?.includes(role))) {
        problems.push(`${label(route)}: the description does not name the roles ${expectedRoles.join(', ')}`);
      }
      const success = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
      if (success.length === 0) problems.push(`${label(route)}: no 2xx response`);
      for (const [status, response] of success) {
        const content = (response as ResponseObject).content;
        if (!content || Object.values(content).some((media) => !media.schema))
          problems.push(`${label(route)}: ${status} answer has no schema`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lists 401 and 403 (and the bearer scheme) on every route except the public ones', () => {
    const problems: string[] = [];
    for (const route of routes) {
      const op = operation(route);
      if (!op) continue; // reported above
      const statuses = Object.keys(op.responses ?? {});
      if (route.isPublic) {
        if (statuses.includes('401') || statuses.includes('403') || op.security?.length) {
          problems.push(`${label(route)}: public, yet documented as needing a token`);
        }
      } else {
        if (!statuses.includes('401') || !statuses.includes('403')) problems.push(`${label(route)}: no 401/403`);
        if (JSON.stringify(op.security) !== JSON.stringify([{ [BEARER]: [] }]))
          problems.push(`${label(route)}: no bearer security requirement`);
      }
    }
    expect(problems).toEqual([]);
    const publicRoutes = routes.filter((r) => r.isPublic).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(publicRoutes).toEqual(expect.arrayContaining(['GET /health/live', 'GET /health/ready', 'GET /api/v1/ledger/public-key']));
  });

  it('describes every error answer as application/problem+json with the Problem schema and names its codes', () => {
    const problems: string[] = [];
    let errorAnswers = 0;
    for (const route of routes) {
      const op = operation(route);
      if (!op) continue;
      for (const [status, answer] of Object.entries(op.responses ?? {})) {
        if (!/^[45]\d\d$/.test(status) || NOT_PROBLEMS.has(`${route.method.toUpperCase()} ${route.path} ${status}`)) continue;
        errorAnswers++;
        const response = answer as ResponseObject;
        const types = Object.keys(response.content ?? {});
        const schema = response.content?.[PROBLEM_MEDIA_TYPE]?.schema as ReferenceObject | undefined;
        if (types.length !== 1 || types[0] !== PROBLEM_MEDIA_TYPE || schema?.$ref !== PROBLEM_REF) {
          problems.push(`${label(route)} ${status}: ${JSON.stringify(response.content)}`);
        }
        if (!/Codes: `[A-Z_]+`/.test(response.description ?? '')) problems.push(`${label(route)} ${status}: no codes in the description`);
      }
    }
    expect(problems).toEqual([]);
    expect(errorAnswers).toBeGreaterThan(100);
  });

  it('documents the headers and error statuses of commands and reads', () => {
    const problems: string[] = [];
    const headers = (op: OperationObject) =>
      (op.parameters ?? []).filter((p): p is ParameterObject => 'in' in p && p.in === 'header').map((p) => p.name);
    for (const route of routes) {
      const op = operation(route);
      if (!op) continue;
      const statuses = Object.keys(op.responses ?? {});
      // Commands: authenticated routes that take a body (a public POST such as a dev login is not one).
      if (route.body && !route.isPublic) {
        for (const name of ['Idempotency-Key', 'If-Match', 'X-Correlation-Id']) {
          if (!headers(op).includes(name)) problems.push(`${label(route)}: no ${name} header`);
        }
        for (const status of ['400', '409', '412', '413', '422', '429', '503']) {
          if (!statuses.includes(status)) problems.push(`${label(route)}: no ${status}`);
        }
        if (!JSON.stringify(op.responses?.['412'])?.includes('REVISION_MISMATCH'))
          problems.push(`${label(route)}: 412 without REVISION_MISMATCH`);
        if (!JSON.stringify(op.responses?.['422'])?.includes('IDEMPOTENCY_KEY_REUSED'))
          problems.push(`${label(route)}: 422 without IDEMPOTENCY_KEY_REUSED`);
      }
    }
    expect(problems).toEqual([]);
    const answer = (path: string, method: 'get' | 'post', status: string) =>
      document.paths[path][method]!.responses[status] as ResponseObject;
    // Reads with read-your-writes take X-Min-Position and may answer 503 PROJECTIONS_BEHIND.
    for (const [path, ...codes] of [
      ['/api/v1/permits/{permitNumber}', 'PERMIT_NOT_FOUND'],
      ['/api/v1/permits/{permitNumber}/state', 'PERMIT_NOT_YET_ISSUED'],
      ['/api/v1/destinations/{country}', 'DESTINATION_NOT_FOUND'],
      ['/api/v1/decisions/{decisionRef}', 'DECISION_NOT_FOUND'],
    ]) {
      const op = document.paths[path].get!;
      expect(headers(op)).toContain('X-Min-Position');
      expect(answer(path, 'get', '503').description).toContain('PROJECTIONS_BEHIND');
      for (const code of codes) expect(answer(path, 'get', '404').description).toContain(code);
    }
    expect(answer('/api/v1/permits/{permitNumber}/suspend', 'post', '409').description).toContain('INVALID_TRANSITION');
    expect(answer('/api/v1/decisions', 'post', '202').headers).toHaveProperty('Location');
    expect(answer('/api/v1/permits', 'post', '201').headers).toHaveProperty('ETag');
  });

  it("gives every request body (and its nested objects) a schema whose properties and required fields are the DTO's", () => {
    const problems: string[] = [];
    const checked = new Set<string>();
    const compare = (where: string, dto: Type, schema: SchemaObject) => {
      if (checked.has(dto.name)) return;
      checked.add(dto.name);
      const fields = validatedFields(dto);
      const properties = Object.keys(schema.properties ?? {}).sort();
      const required = [...(schema.required ?? [])].sort();
      if (JSON.stringify(properties) !== JSON.stringify(fields.all)) {
        problems.push(`${where} ${dto.name}: schema properties ${JSON.stringify(properties)}, DTO fields ${JSON.stringify(fields.all)}`);
      }
      if (JSON.stringify(required) !== JSON.stringify([...fields.required].sort())) {
        problems.push(`${where} ${dto.name}: schema requires ${JSON.stringify(required)}, DTO requires ${JSON.stringify(fields.required)}`);
      }
      // Nested DTOs: their own schema must match them too.
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const inner = property as SchemaObject & ReferenceObject;
        const ref =
          inner.$ref ?? (inner.allOf?.[0] as ReferenceObject | undefined)?.$ref ?? (inner.items as ReferenceObject | undefined)?.$ref;
        if (!ref) {
          if (!inner.type) problems.push(`${where} ${dto.name}.${name}: no type`);
          continue;
        }
        const nested = DTOS.get(ref.replace('#/components/schemas/', ''));
        if (!nested) problems.push(`${where} ${dto.name}.${name}: ${ref} is not a request DTO`);
        else compare(where, nested, deref(document, { $ref: ref }));
      }
    };
    const withBody = routes.filter((route) => route.body);
    expect(withBody.length).toBeGreaterThanOrEqual(12);
    for (const route of withBody) {
      const op = operation(route);
      if (!op) continue;
      const body = op.requestBody as { required?: boolean; content?: Record<string, { schema?: ReferenceObject }> } | undefined;
      const ref = body?.content?.['application/json']?.schema?.$ref;
      if (!ref) {
        problems.push(`${label(route)}: no application/json requestBody schema reference`);
        continue;
      }
      if (ref !== `#/components/schemas/${route.body!.name}`) problems.push(`${label(route)}: body ${ref} is not ${route.body!.name}`);
      compare(label(route), route.body!, deref(document, { $ref: ref }));
    }
    expect(problems).toEqual([]);

    // Spot checks against api.md.
    const schemaOf = (path: string) =>
      deref(
        document,
        (document.paths[path].post!.requestBody as { content: Record<string, { schema: ReferenceObject }> }).content['application/json']
          .schema,
      );
    expect([...(schemaOf('/api/v1/permits').required ?? [])].sort()).toEqual(
      ['consignee', 'destination', 'endUser', 'expiresOn', 'exporter', 'intendedEndUse', 'items', 'permitNumber', 'validFrom'].sort(),
    );
    expect([...(schemaOf('/api/v1/decisions').required ?? [])].sort()).toEqual([
      'action',
      'decisionRef',
      'legalBasis',
      'reason',
      'selector',
    ]);
    const decision = schemaOf('/api/v1/decisions');
    expect(decision.properties?.action).toMatchObject({ enum: ['suspend', 'cancel', 'reinstate', 'open_review'] });
    const selector = deref(document, decision.properties!.selector as ReferenceObject);
    expect(selector.required ?? []).toEqual([]);
    expect(Object.keys(selector.properties ?? {}).sort()).toEqual(['destination', 'eclItems', 'permitNumbers', 'status']);
    const items = deref(document, schemaOf('/api/v1/permits').properties!.items as SchemaObject);
    expect(items.type).toBe('array');
    expect(deref(document, items.items as ReferenceObject).required).toEqual(['eclItem', 'description', 'quantity', 'unit', 'valueCad']);
  });

  it('documents every query DTO field as an optional query parameter', () => {
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.query)) {
      const op = operation(route);
      if (!op) continue;
      const params = (op.parameters ?? []).filter((p): p is ParameterObject => 'in' in p && p.in === 'query');
      const fields = validatedFields(route.query!);
      const names = params.map((p) => p.name).sort();
      if (JSON.stringify(names) !== JSON.stringify(fields.all))
        problems.push(`${label(route)}: query ${JSON.stringify(names)} vs DTO ${JSON.stringify(fields.all)}`);
      for (const p of params)
        if (p.required !== fields.required.includes(p.name)) problems.push(`${label(route)}: ${p.name} required=${p.required}`);
    }
    expect(problems).toEqual([]);
  });

  it('is OpenAPI 3.1 with a server, and states a security requirement on every operation (none on the public ones)', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers?.length).toBeGreaterThan(0);
    const unstated = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([, op]) => (op as OperationObject).responses && !Array.isArray((op as OperationObject).security))
        .map(([method]) => `${method} ${path}`),
    );
    expect(unstated).toEqual([]);
    // 3.1 writes null as a type: no 3.0 `nullable` is left anywhere.
    expect(JSON.stringify(document)).not.toContain('"nullable"');
  });

  it("lists each error code under the statuses of its kind (DOMAIN_ERROR_KINDS, the application's registry), nowhere else", () => {
    const problems: string[] = [];
    let codes = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item) as Array<[string, OperationObject]>) {
        for (const [status, answer] of Object.entries(op.responses ?? {})) {
          if (!/^[45]\d\d$/.test(status) || NOT_PROBLEMS.has(`${method.toUpperCase()} ${path} ${status}`)) continue;
          const listed = [...((answer as ResponseObject).description ?? '').matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]);
          for (const code of listed.filter((c) => c in DOMAIN_ERROR_KINDS || c in APPLICATION_ERROR_KINDS)) {
            codes++;
            const statuses: number[] = statusesOf(code as ErrorCode);
            if (!statuses.includes(Number(status)))
              problems.push(`${method.toUpperCase()} ${path} ${status}: ${code} is answered with ${statuses.join(' or ')}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(codes).toBeGreaterThan(300);
    // The domain's codes keep their statuses.
    const suspend = document.paths['/api/v1/permits/{permitNumber}/suspend'].post!.responses;
    expect((suspend['404'] as ResponseObject).description).toContain('`PERMIT_NOT_FOUND`');
    expect((suspend['409'] as ResponseObject).description).toContain('`INVALID_TRANSITION`');
    expect((document.paths['/api/v1/permits'].post!.responses['400'] as ResponseObject).description).toContain('`SUPERSEDES_SELF`');
  });

  it('matches what the service answers: a refused request is a Problem document as documented', async () => {
    const unauthenticated = await t.http().post('/api/v1/permits').send({});
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers['content-type']).toMatch(/^application\/problem\+json/);
    const invalid = await t
      .http()
      .post('/api/v1/decisions')
      .set('Authorization', `Bearer ${await t.token('minister')}`)
      .send({ decisionRef: 'X' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = document.components!.schemas!.Problem as SchemaObject;
    for (const field of problem.required!) expect(invalid.body).toHaveProperty(field);
    expect((document.paths['/api/v1/decisions'].post!.responses['400'] as ResponseObject).description).toContain(
      `\`${invalid.body.code}\``,
    );
  });
});
