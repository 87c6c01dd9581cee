import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  fillPath,
  matchRoute,
  pathParamNames,
  REST_ROUTES,
  ROUTE_NAMES,
  RouteAccessSchema,
  routeOf,
} from './index.ts';
import { buildRestRoutesJsonSchema, REST_ROUTES_SCHEMA_PATH } from './rest-routes-json-schema.ts';

// The table's own consistency; src/client/route-table-served.test.ts checks it against a gateway.

const objectKeys = (schema: z.ZodType | undefined): string[] =>
  schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : [];

describe('the route table', () => {
  it('names each path parameter in its params schema, and nothing else', () => {
    for (const name of ROUTE_NAMES) {
      const route = routeOf(name);
      expect(objectKeys(route.params), name).toEqual(pathParamNames(route.path).sort());
      if (route.params) expect(route.params, name).toBeInstanceOf(z.ZodObject);
      if (route.query) expect(route.query, name).toBeInstanceOf(z.ZodObject);
    }
  });

  it('has one entry per method and path, each found again by matchRoute', () => {
    const seen = new Set<string>();
    for (const name of ROUTE_NAMES) {
      const route = routeOf(name);
      const key = `${route.method} ${route.path.replace(/:[A-Za-z]+/g, ':')}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      const params = Object.fromEntries(pathParamNames(route.path).map((param) => [param, `v_${param}/x`]));
      const matched = matchRoute(route.method.toLowerCase(), fillPath(route.path, params));
      expect(matched?.name).toBe(name);
      expect(matched?.params).toEqual(params);
    }
    expect(matchRoute('PATCH', '/api/tasks')).toBeUndefined();
    expect(matchRoute('GET', '/api/tasks/a/b/c')).toBeUndefined();
  });

  it('gives every route a known scope, and JSON routes at least one answer', () => {
    for (const name of ROUTE_NAMES) {
      const route = routeOf(name);
      expect(RouteAccessSchema.safeParse(route.scope).success, name).toBe(true);
      if (route.kind === 'json') expect(Object.keys(route.responses).length, name).toBeGreaterThan(0);
      if (route.kind === 'json' && route.idempotencyKey) expect(route.method, name).toBe('POST');
    }
    const publicRoutes = ROUTE_NAMES.filter((name) => routeOf(name).scope === 'public');
    expect(publicRoutes.sort()).toEqual([
      'channels.webhook',
      'health.get',
      'session.challenge',
      'session.create',
      'session.logout',
    ]);
  });

  it('asks for the further scopes a request needs', () => {
    const [secrets] = REST_ROUTES['environments.update'].alsoNeeds;
    expect(secrets.applies({ query: {}, body: { secrets: { TOKEN: 'abcd' } } })).toBe(true);
    expect(secrets.applies({ query: {}, body: { secrets: {} } })).toBe(false);
    expect(secrets.applies({ query: {}, body: { name: 'x' } })).toBe(false);
    const [write] = REST_ROUTES['terminals.socket'].alsoNeeds;
    expect(write.applies({ query: { access: 'read' }, body: undefined })).toBe(false);
    expect(write.applies({ query: {}, body: undefined })).toBe(true);
  });

  it('reads numbers in the query from their URL strings', () => {
    expect(REST_ROUTES['tasks.list'].query.parse({ limit: '5', status: 'running' })).toEqual({
      limit: 5,
      status: 'running',
    });
    expect(REST_ROUTES['tasks.list'].query.safeParse({ limit: '0' }).success).toBe(false);
  });
});

describe('the route table as JSON Schema', () => {
  it('is committed and matches the zod source (run `npm run schema` after changing src/protocol)', () => {
    const committed = JSON.parse(readFileSync(REST_ROUTES_SCHEMA_PATH, 'utf8'));
    expect(committed).toEqual(buildRestRoutesJsonSchema());
  });

  it('lists every route and resolves every reference', () => {
    const document = buildRestRoutesJsonSchema();
    const routes = document.routes as Record<string, { method: string; path: string }>;
    expect(Object.keys(routes)).toEqual([...ROUTE_NAMES]);
    expect(routes['tasks.get']).toMatchObject({ method: 'GET', path: '/api/tasks/:id' });
    const text = JSON.stringify(document);
    const defs = document.$defs as Record<string, unknown>;
    for (const [, id] of text.matchAll(/"\$ref":"#\/\$defs\/([^"]+)"/g)) expect(defs[id!], id).toBeDefined();
  });
});
