/**
 * Requests generated from an OpenAPI document, and the check of what comes back. Each
 * operation's requests start valid (path and query parameters, JSON body, from their schemas or
 * from real values) and most get one to three mutations: a hostile path or query value, an
 * unknown query parameter, a body value replaced (half the time aimed at a timestamp or cursor
 * field, with an odd date or a broken cursor), nested 10,000 deep, added or dropped, a body that
 * is not JSON, another content type. A response must not be a 5xx, must carry a status the
 * operation declares (or one every route may give: `appWideStatuses`), and its body must match
 * the declared schema; an error body always matches the error schema.
 */
import fc from "fast-check";
import { z } from "zod";
import {
  forField,
  type HostileChoice,
  hostileJsonChoice,
  hostileJsonValue,
  hostileRawBody,
  hostileUrlChoice,
  isNamedField,
  jsonText,
  nestedArrays,
  oddContentType,
  rawJson,
} from "./hostileInput.ts";
import { arbitraryOfSchema, type JsonSchema } from "./jsonSchemaArbitrary.ts";

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema: JsonSchema;
}

interface OperationObject {
  parameters?: ParameterObject[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
}

export interface Operation {
  /** `POST /api/calls/{sid}/end` */
  key: string;
  method: string;
  path: string;
  pathParameters: ParameterObject[];
  queryParameters: ParameterObject[];
  bodySchema: JsonSchema | undefined;
  responses: OperationObject["responses"];
}

/**
 * Statuses any route may answer, in the error format: no route matched (a path parameter
 * holding `/`), a body over the size limit, the per-token rate limit.
 */
export const appWideStatuses = new Set([404, 413, 429]);

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      pathParameters: (operation.parameters ?? []).filter((p) => p.in === "path"),
      queryParameters: (operation.parameters ?? []).filter((p) => p.in === "query"),
      bodySchema: operation.requestBody?.content["application/json"]?.schema,
      responses: operation.responses,
    })),
  );
}

export interface FuzzRequest {
  method: string;
  /** With its parameters filled in, URL-encoded. */
  path: string;
  /** Names and values, URL-encoded. */
  query: [string, string][];
  body?: string | Uint8Array;
  contentType?: string;
}

export interface RequestArbitraryOptions {
  components: Record<string, JsonSchema>;
  /** Real values for parameters and body properties of this name (ids of seeded rows). */
  knownValues?: Record<string, fc.Arbitrary<unknown>>;
  /**
   * Valid path parameters and bodies together, when the document's schemas alone cannot make
   * them (a task's name and its own payload).
   */
  valid?: fc.Arbitrary<{ path: string[]; body: unknown }>;
}

type Mutation =
  | { kind: "path"; at: number; text: HostileChoice<string> }
  | { kind: "query"; at: number; text: HostileChoice<string>; replace: boolean }
  | { kind: "body-value"; at: number; value: HostileChoice<unknown> }
  | { kind: "body-deep"; at: number }
  | { kind: "body-extra"; at: number; key: string; value: unknown }
  | { kind: "body-drop"; at: number }
  | { kind: "raw-body"; body: string | Uint8Array }
  | { kind: "content-type"; type: string | undefined };

interface Parts {
  path: string[];
  query: [string, string][];
  body: unknown;
}

export function requestArbitrary(
  operation: Operation,
  options: RequestArbitraryOptions,
): fc.Arbitrary<FuzzRequest> {
  const schemaOptions = { components: options.components, knownValues: options.knownValues };
  const parameterValue = (parameter: ParameterObject) =>
    options.knownValues?.[parameter.name] ?? arbitraryOfSchema(parameter.schema, schemaOptions);
  const path = fc.tuple(
    ...operation.pathParameters.map((parameter) =>
      parameterValue(parameter).map((value) => encodeURIComponent(String(value))),
    ),
  );
  const query = fc
    .tuple(
      ...operation.queryParameters.map((parameter) =>
        fc.option(
          parameterValue(parameter).map(
            (value) => [parameter.name, encodeURIComponent(String(value))] as [string, string],
          ),
          { nil: undefined },
        ),
      ),
    )
    .map((pairs) => pairs.filter((pair) => pair !== undefined));
  const body =
    operation.method !== "GET" && operation.bodySchema
      ? arbitraryOfSchema(operation.bodySchema, schemaOptions)
      : fc.constant(undefined);
  const parts = options.valid
    ? fc
        .record({
          valid: options.valid.map(({ path, body }) => ({
            path: path.map((value) => encodeURIComponent(value)),
            body,
          })),
          query,
        })
        .map(({ valid, query }) => ({ ...valid, query }))
    : fc.record({ path, query, body });

  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("path"), at: fc.nat(), text: hostileUrlChoice }),
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("query"),
        at: fc.nat(),
        text: hostileUrlChoice,
        replace: fc.boolean(),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant("body-value"),
        at: fc.nat(),
        value: hostileJsonChoice,
      }),
    },
    fc.record({ kind: fc.constant("body-deep"), at: fc.nat() }),
    fc.record({
      kind: fc.constant("body-extra"),
      at: fc.nat(),
      key: fc.oneof(
        fc.constantFrom("unknown_field", "__proto__", "constructor", "\u0000"),
        fc.string(),
      ),
      value: hostileJsonValue,
    }),
    fc.record({ kind: fc.constant("body-drop"), at: fc.nat() }),
    fc.record({ kind: fc.constant("raw-body"), body: hostileRawBody }),
    fc.record({ kind: fc.constant("content-type"), type: oddContentType }),
  ) as fc.Arbitrary<Mutation>;

  const mutations = fc.oneof(fc.constant<Mutation[]>([]), {
    weight: 4,
    arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }),
  });
  return fc
    .tuple(parts, mutations)
    .map(([valid, mutations]) => toRequest(operation, valid, mutations));
}

function toRequest(operation: Operation, valid: Parts, mutations: Mutation[]): FuzzRequest {
  const path = [...valid.path];
  const query = [...valid.query];
  let body = valid.body === undefined ? undefined : structuredClone(valid.body);
  let raw: string | Uint8Array | undefined;
  let contentType: string | undefined = "application/json";
  for (const mutation of mutations) {
    switch (mutation.kind) {
      case "path": {
        if (path.length === 0) break;
        const index = mutation.at % path.length;
        const text = forField(mutation.text, operation.pathParameters[index]?.name);
        if (keepsRoute(text)) path[index] = text;
        break;
      }
      case "query": {
        const names = [...operation.queryParameters.map((p) => p.name), "unknown_parameter"];
        const named = names.filter(isNamedField);
        const aimed = mutation.text.byName && named.length > 0 ? named : names;
        const name = aimed[mutation.at % aimed.length] as string;
        const text = forField(mutation.text, name);
        const index = query.findIndex(([given]) => given === name);
        if (index >= 0 && mutation.replace) query[index] = [name, text];
        else query.push([name, text]);
        break;
      }
      case "body-value":
        body = replaceAt(
          body,
          mutation.at,
          (_, field) => forField(mutation.value, field),
          mutation.value.byName,
        );
        break;
      case "body-deep":
        body = replaceAt(body, mutation.at, () => rawJson(nestedArrays(10_000)));
        break;
      case "body-extra":
        body = replaceAt(body, mutation.at, (target) =>
          isObject(target) ? { ...target, [mutation.key]: mutation.value } : target,
        );
        break;
      case "body-drop":
        body = dropAt(body, mutation.at);
        break;
      case "raw-body":
        raw = mutation.body;
        break;
      case "content-type":
        contentType = mutation.type;
        break;
    }
  }
  let filled = operation.path;
  operation.pathParameters.forEach((parameter, index) => {
    filled = filled.replace(`{${parameter.name}}`, path[index] as string);
  });
  const hasBody = operation.method !== "GET" && (raw !== undefined || body !== undefined);
  return {
    method: operation.method,
    path: filled,
    query,
    ...(hasBody ? { body: raw ?? jsonText(body) } : {}),
    ...(hasBody && contentType ? { contentType } : {}),
  };
}

/**
 * Whether a path parameter keeps the request on its route: an empty one or a dot segment (`..`,
 * `%2E%2E`) is resolved away by URL normalisation, and the request reaches another route.
 */
const keepsRoute = (segment: string) => segment !== "" && !/^(\.|%2e){1,2}$/i.test(segment);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The paths of `value` and everything in it, the root (`[]`) first. */
function pathsIn(value: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const pending: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let next = pending.shift(); next; next = pending.shift()) {
    paths.push(next.path);
    const { value: current, path } = next;
    if (Array.isArray(current)) {
      for (const [index, child] of current.entries())
        pending.push({ value: child, path: [...path, index] });
    } else if (isObject(current)) {
      for (const [key, child] of Object.entries(current)) {
        pending.push({ value: child, path: [...path, key] });
      }
    }
  }
  return paths;
}

/**
 * Replaces the `at`-th value of `value` (counting the root), given it and its field name; with
 * `aimed`, the `at`-th of the values in named fields (`isNamedField`) if there are any.
 */
function replaceAt(
  value: unknown,
  at: number,
  replace: (target: unknown, field: string | number | undefined) => unknown,
  aimed = false,
): unknown {
  const all = pathsIn(value);
  const named = aimed ? all.filter((path) => isNamedField(path.at(-1))) : [];
  const paths = named.length > 0 ? named : all;
  const path = paths[at % paths.length] as (string | number)[];
  if (path.length === 0) return replace(value, undefined);
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as never)[key], value);
  const key = path.at(-1) as string | number;
  (parent as Record<string | number, unknown>)[key] = replace((parent as never)[key], key);
  return value;
}

function dropAt(value: unknown, at: number): unknown {
  const paths = pathsIn(value).filter((path) => path.length > 0);
  if (paths.length === 0) return value;
  const path = paths[at % paths.length] as (string | number)[];
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as never)[key], value);
  const key = path.at(-1) as string | number;
  if (Array.isArray(parent)) parent.splice(key as number, 1);
  else delete (parent as Record<string, unknown>)[key as string];
  return value;
}

export interface FuzzResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

export async function sendFuzzRequest(
  baseUrl: string,
  request: FuzzRequest,
  headers: Record<string, string>,
): Promise<FuzzResponse> {
  const search = request.query.map(([name, value]) => `${name}=${value}`).join("&");
  const url = `${baseUrl}${request.path}${search ? `?${search}` : ""}`;
  const requestHeaders: Record<string, string> = { ...headers };
  if (request.contentType) requestHeaders["content-type"] = request.contentType;
  const response = await fetch(url, {
    method: request.method,
    headers: requestHeaders,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** Validates responses against the document's schemas, each converted once. */
export class ResponseChecker {
  readonly #document: OpenApiDocument;
  readonly #validators = new Map<JsonSchema, z.ZodType>();
  readonly #errorSchema: JsonSchema;

  constructor(document: OpenApiDocument) {
    this.#document = document;
    const errorSchema = document.components.schemas.Error;
    if (!errorSchema) throw new Error("the document has no Error schema");
    this.#errorSchema = errorSchema;
  }

  /** What is wrong with `response` to a request of `operation`, or undefined. */
  problem(operation: Operation, response: FuzzResponse): string | undefined {
    const { status } = response;
    if (status >= 500) return `${status}: ${response.body.toString("utf8").slice(0, 300)}`;
    const declared = operation.responses[String(status)];
    if (!declared && !appWideStatuses.has(status)) return `undeclared status ${status}`;
    const content = declared?.content ?? {
      "application/json": { schema: this.#errorSchema },
    };
    // An operation may offer several media types (a report as JSON, CSV or HTML).
    const offered = Object.entries(content);
    const [mediaType, { schema } = { schema: {} }] =
      offered.find(([type]) => response.contentType.startsWith(type)) ?? offered[0] ?? [];
    if (mediaType && !response.contentType.startsWith(mediaType)) {
      return `${status} answered ${response.contentType || "no content type"}, not ${mediaType}`;
    }
    if (mediaType !== "application/json") return undefined;
    let body: unknown;
    try {
      body = JSON.parse(response.body.toString("utf8"));
    } catch {
      return `${status} with a body that is not JSON: ${response.body.toString("utf8").slice(0, 200)}`;
    }
    for (const expected of status >= 400 ? [schema, this.#errorSchema] : [schema]) {
      const result = this.#validator(expected).safeParse(body);
      if (!result.success) {
        return `${status} body does not match its schema: ${z.prettifyError(result.error)}`;
      }
    }
    return undefined;
  }

  #validator(schema: JsonSchema): z.ZodType {
    let validator = this.#validators.get(schema);
    if (!validator) {
      // zod resolves local `$defs` references only: point the components there.
      const rewritten = JSON.parse(
        JSON.stringify({ ...schema, $defs: this.#document.components.schemas }).replaceAll(
          "#/components/schemas/",
          "#/$defs/",
        ),
      );
      validator = z.fromJSONSchema(rewritten);
      this.#validators.set(schema, validator);
    }
    return validator;
  }
}
