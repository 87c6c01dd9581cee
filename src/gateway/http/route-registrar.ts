import { type Context, Hono, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { OpenViberError } from '../../core/errors.ts';
import {
  describeZodError,
  type FileRouteName,
  type JsonRoute,
  type JsonRouteName,
  LIMITS,
  REST_ROUTES,
  type RestRoute,
  type RestRoutes,
  type SseRouteName,
} from '../../protocol/index.ts';
import { missingScope } from '../auth/principal.ts';
import { parseBody } from './read-body.ts';
import { ScopeDeniedError } from './request-auth.ts';
import type { GatewayEnv } from './route-context.ts';

/**
 * Registers the gateway's handlers from the route table (src/protocol/rest-routes.ts), so no
 * route module restates a method, a path or a schema: the entry says where the route lives, what
 * its params, query and body must be, and which status a success answers with; the handler gets
 * them parsed and returns the answer's data.
 *
 *   routes().json('tasks.get', ({ params }) => views.task(params.id)).app
 *
 * Every route is guarded by its entry's `scope` here, in one place: a caller without it is refused
 * (401 with no caller, 403 with the wrong one) before its input is looked at; a further scope a
 * request needs (`alsoNeeds`, which may depend on the body) is checked once the body is parsed.
 * A failed parse is `validation_failed` (400) naming the field, as `parseBody` always answered;
 * params are checked first, then the query, then the body, then the handler runs (so a request
 * for a missing resource with a bad body is a 400, as before).
 */

type SchemaOf<R, K extends string> = R extends { readonly [P in K]: infer S extends z.ZodType }
  ? z.output<S>
  : undefined;

/** What a JSON handler is handed: the entry's params, query and body, parsed. */
export interface RouteInput<N extends JsonRouteName> {
  params: SchemaOf<RestRoutes[N], 'params'>;
  query: SchemaOf<RestRoutes[N], 'query'>;
  body: SchemaOf<RestRoutes[N], 'body'>;
}

/** What a JSON handler returns: the wire shape of its success response (schema input). */
export type RouteAnswer<N extends JsonRouteName> = RestRoutes[N] extends { readonly responses: infer M }
  ? { [S in keyof M]: M[S] extends z.ZodType ? z.input<M[S]> : never }[keyof M]
  : never;

export type JsonHandler<N extends JsonRouteName> = (
  input: RouteInput<N>,
  c: Context<GatewayEnv>,
) => RouteAnswer<N> | Promise<RouteAnswer<N>>;

export type StreamHandler = (c: Context<GatewayEnv>) => Response | Promise<Response>;

/** What a file handler is handed: the entry's params, parsed; it answers the file itself. */
export type FileHandler<N extends FileRouteName> = (
  input: { params: SchemaOf<RestRoutes[N], 'params'> },
  c: Context<GatewayEnv>,
) => Response | Promise<Response>;

/** What a self-answering JSON route's handler is handed (`answered`): its params, parsed. */
export type RawHandler<N extends JsonRouteName> = (
  input: { params: SchemaOf<RestRoutes[N], 'params'> },
  c: Context<GatewayEnv>,
) => Response | Promise<Response>;

export interface JsonRouteOptions {
  /** Middleware that runs before the parse (a route's own body limit, a same-origin check). */
  use?: readonly MiddlewareHandler<GatewayEnv>[];
}

export class RouteRegistrar {
  /** The routes registered so far, at their full paths: mount with `app.route('/', …)`. */
  readonly app = new Hono<GatewayEnv>();

  /** A JSON route: parsed input in, the handler's data out with the entry's success status. */
  json<N extends JsonRouteName>(name: N, handler: JsonHandler<N>, options: JsonRouteOptions = {}): this {
    const route: JsonRoute = REST_ROUTES[name];
    const status = successStatus(name, route);
    const answer: MiddlewareHandler<GatewayEnv> = async (c) => {
      authorize(c, route);
      const input = {
        params: parsePart(route.params, c.req.param()),
        query: parsePart(route.query, presentQuery(c.req.query())),
        body: route.body ? await readJsonBody(c, route.body) : undefined,
      } as RouteInput<N>;
      authorize(c, route, { body: input.body });
      return c.json(await handler(input, c), status);
    };
    for (const middleware of options.use ?? []) this.app.on(route.method, route.path, middleware);
    this.app.on(route.method, route.path, answer);
    return this;
  }

  /**
   * A server-sent event stream: the table gives the path; the handler reads its own cursor
   * (`Last-Event-ID` beside `?after=`) and writes its own response.
   */
  stream(name: SseRouteName, handler: StreamHandler): this {
    const route = REST_ROUTES[name];
    this.app.on(route.method, route.path, (c) => {
      authorize(c, route);
      return handler(c);
    });
    return this;
  }

  /**
   * A JSON route whose handler reads the request and answers it itself: a chat platform's signed
   * webhook, whose exact bytes are verified before anything parses them and whose refusals carry
   * the platform's statuses. Guarded and its params parsed like any JSON route.
   */
  answered<N extends JsonRouteName>(name: N, handler: RawHandler<N>): this {
    const route: RestRoute = REST_ROUTES[name];
    this.app.on(route.method, route.path, async (c) => {
      authorize(c, route);
      const params = parsePart(route.params, c.req.param()) as SchemaOf<RestRoutes[N], 'params'>;
      return handler({ params }, c);
    });
    return this;
  }

  /** A file (an image): guarded and its params parsed like a JSON route; the handler answers it. */
  file<N extends FileRouteName>(name: N, handler: FileHandler<N>): this {
    const route: RestRoute = REST_ROUTES[name];
    this.app.on(route.method, route.path, async (c) => {
      authorize(c, route);
      const params = parsePart(route.params, c.req.param()) as SchemaOf<RestRoutes[N], 'params'>;
      return handler({ params }, c);
    });
    return this;
  }
}

/**
 * The route's scope against the caller `authenticateRequests` found. Before the parse only the
 * route's own scope counts; after it, every `alsoNeeds` condition too.
 */
function authorize(c: Context<GatewayEnv>, route: RestRoute, parsed?: { body: unknown }): void {
  if (route.scope === 'public') return;
  const principal = c.get('principal');
  if (!principal) throw new OpenViberError('unauthorized', 'this route needs a signed-in caller', 401);
  const needs = parsed ? route : { scope: route.scope };
  const missing = missingScope(principal, needs, { query: c.req.query(), body: parsed?.body });
  if (missing) throw new ScopeDeniedError(principal, missing);
}

/** A fresh set of routes to register from the table. */
export function routes(): RouteRegistrar {
  return new RouteRegistrar();
}

/** Every JSON entry answers one success status; two would leave the handler's answer ambiguous. */
function successStatus(name: string, route: JsonRoute): ContentfulStatusCode {
  const statuses = Object.keys(route.responses).map(Number);
  if (statuses.length !== 1) {
    throw new Error(`route ${name} has ${statuses.length} success statuses; the registrar needs one`);
  }
  return statuses[0] as ContentfulStatusCode;
}

function parsePart(schema: z.ZodType | undefined, value: Record<string, string>): unknown {
  if (!schema) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new OpenViberError('validation_failed', describeZodError(parsed.error), 400);
  return parsed.data;
}

/** `?limit=` with nothing after it means no limit given, as the routes always read it. */
function presentQuery(query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

/**
 * The body as JSON, validated. The gateway's body reader (`readBody`) has already read a POST;
 * a PUT is read here with the same limit (on Content-Length first, then on what arrived).
 */
async function readJsonBody(c: Context<GatewayEnv>, schema: z.ZodType): Promise<unknown> {
  if (c.get('bodyText') === undefined) {
    const tooLarge = () =>
      new OpenViberError('payload_too_large', `request body exceeds ${LIMITS.maxBodyBytes} bytes`, 413);
    const declared = Number(c.req.header('content-length'));
    if (Number.isFinite(declared) && declared > LIMITS.maxBodyBytes) throw tooLarge();
    const text = await c.req.text();
    if (Buffer.byteLength(text) > LIMITS.maxBodyBytes) throw tooLarge();
    c.set('bodyText', text);
  }
  return parseBody(c, schema);
}
