/**
 * Routes declared once, with the zod schemas of their path parameters, query and body: the same schemas
 * validate every request (400 naming the field) and generate the OpenAPI 3 document served at
 * `/api/openapi.json`, so the document cannot drift from what the server accepts.
 */
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseWith } from '../contracts/index.js';
import type { HttpServer } from '../adapters/http/index.js';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  /** fastify syntax: `/api/v1/agents/:id`. */
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Status code → description (the error body is the one shape for every 4xx/5xx). */
  responses: Record<number, string>;
  /** Media type of the success response when it is not JSON, e.g. `text/event-stream`. */
  produces?: string;
}

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  request: FastifyRequest;
  reply: FastifyReply;
}

const none = z.object({}).strict();

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['name', 'code', 'message'],
      properties: {
        name: { type: 'string' },
        code: { type: 'string', description: 'AETHERIUS_E_*, listed in docs/errors.md' },
        message: { type: 'string' },
        issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
} as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  // Requests are described as clients write them (before defaults and coercion).
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

export class ApiRoutes {
  readonly #app: HttpServer;
  readonly #specs: RouteSpec<z.ZodType, z.ZodType, z.ZodType>[] = [];

  constructor(app: HttpServer) {
    this.#app = app;
  }

  /** Registers the route: inputs are parsed with the spec's schemas before `handler` runs. */
  add<P extends z.ZodType = typeof none, Q extends z.ZodType = typeof none, B extends z.ZodType = typeof none>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: RouteInput<P, Q, B>) => Promise<unknown>,
  ): void {
    this.#specs.push(spec);
    this.#app.route({
      method: spec.method,
      url: spec.path,
      handler: async (request, reply) => {
        const params = parseWith(spec.params ?? none, request.params ?? {}, 'path') as z.output<P>;
        const query = parseWith(spec.query ?? none, request.query ?? {}, 'query') as z.output<Q>;
        const body = (spec.body ? parseWith(spec.body, request.body ?? {}, 'body') : undefined) as z.output<B>;
        return handler({ params, query, body, request, reply });
      },
    });
  }

  /** The OpenAPI 3.1 document of every route added so far. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const spec of this.#specs) {
      const path = spec.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const parameters: unknown[] = [];
      for (const [where, schema] of [['path', spec.params], ['query', spec.query]] as const) {
        if (!schema) continue;
        const props = (jsonSchema(schema)['properties'] ?? {}) as Record<string, unknown>;
        const required = new Set((jsonSchema(schema)['required'] as string[] | undefined) ?? []);
        for (const [name, s] of Object.entries(props)) parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
      }
      const responses: Record<string, unknown> = {};
      for (const [code, description] of Object.entries(spec.responses)) {
        if (Number(code) >= 400) responses[code] = { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
        else responses[code] = spec.produces ? { description, content: { [spec.produces]: { schema: { type: 'string' } } } } : { description };
      }
      (paths[path] ??= {})[spec.method.toLowerCase()] = {
        summary: spec.summary,
        tags: [spec.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } } : {}),
        responses,
      };
    }
    return { openapi: '3.1.0', info, paths, components: { schemas: { Error: ERROR_SCHEMA } } };
  }
}
