/**
 * Valid values for a JSON Schema (the subset the OpenAPI document and the tasks' payload schemas
 * use), as fast-check arbitraries: `$ref`s into the document's components, types (one or a
 * list), enums, string formats and patterns, number bounds, arrays, objects with their required
 * and optional properties. Sizes are kept small; anything unknown is any small JSON value.
 */
import fc from "fast-check";

export type JsonSchema = { [keyword: string]: unknown };

export interface SchemaArbitraryOptions {
  /** The schemas `$ref`s point at, by name (the document's `components.schemas`). */
  components?: Record<string, JsonSchema>;
  /** Values to use for a property of this name instead of generated ones (real ids, say). */
  knownValues?: Record<string, fc.Arbitrary<unknown>>;
}

const REF_PREFIX = "#/components/schemas/";

export function arbitraryOfSchema(
  schema: JsonSchema,
  options: SchemaArbitraryOptions = {},
): fc.Arbitrary<unknown> {
  return arbitraryAt(schema, options, 0);
}

function arbitraryAt(
  schema: JsonSchema,
  options: SchemaArbitraryOptions,
  depth: number,
): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === "string") {
    const target = options.components?.[schema.$ref.slice(REF_PREFIX.length)];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return arbitraryAt(target, options, depth);
  }
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  for (const keyword of ["anyOf", "oneOf"]) {
    const choices = schema[keyword];
    if (Array.isArray(choices)) {
      return fc.oneof(...choices.map((choice) => arbitraryAt(choice, options, depth)));
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    return arbitraryAt(schema.allOf[0] as JsonSchema, options, depth);
  }
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => arbitraryAt({ ...schema, type }, options, depth)));
  }
  switch (schema.type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
    case "number":
      return numberArbitrary(schema);
    case "string":
      return stringArbitrary(schema);
    case "array": {
      const items = (schema.items as JsonSchema | undefined) ?? {};
      const minLength = Number(schema.minItems ?? 0);
      const maxLength = Math.max(minLength, Math.min(Number(schema.maxItems ?? 3), 3));
      return fc.array(arbitraryAt(items, options, depth + 1), { minLength, maxLength });
    }
    case "object":
      return objectArbitrary(schema, options, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function numberArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const exclusiveMin = typeof schema.exclusiveMinimum === "number";
  const exclusiveMax = typeof schema.exclusiveMaximum === "number";
  const min = Number(schema.minimum ?? schema.exclusiveMinimum ?? -1e6);
  const max = Number(schema.maximum ?? schema.exclusiveMaximum ?? 1e6);
  if (schema.type === "integer") {
    return fc.integer({
      min: Math.max(Math.ceil(exclusiveMin ? min + 1 : min), Number.MIN_SAFE_INTEGER),
      max: Math.min(Math.floor(exclusiveMax ? max - 1 : max), Number.MAX_SAFE_INTEGER),
    });
  }
  return fc.double({
    min,
    max,
    minExcluded: exclusiveMin,
    maxExcluded: exclusiveMax,
    noNaN: true,
    noDefaultInfinity: true,
  });
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = Number(schema.minLength ?? 0);
  const maxLength = Math.max(minLength, Math.min(Number(schema.maxLength ?? 24), 24));
  switch (schema.format) {
    case "uuid":
      return fc.uuid();
    case "date-time":
      return fc
        .date({ min: new Date("2000-01-01Z"), max: new Date("2099-12-31Z"), noInvalidDate: true })
        .map((date) => date.toISOString());
    case "uri":
      return fc.constantFrom("https://example.com/twiml", "http://127.0.0.1:9/callback");
  }
  if (typeof schema.pattern === "string") {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((value) => {
      return value.length >= minLength && value.length <= Number(schema.maxLength ?? Infinity);
    });
  }
  return fc.string({ minLength, maxLength });
}

function objectArbitrary(
  schema: JsonSchema,
  options: SchemaArbitraryOptions,
  depth: number,
): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const names = Object.keys(properties);
  if (names.length === 0) {
    const values =
      typeof schema.additionalProperties === "object"
        ? arbitraryAt(schema.additionalProperties as JsonSchema, options, depth + 1)
        : fc.jsonValue({ maxDepth: 1 });
    return depth > 3
      ? fc.constant({})
      : fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), values, { maxKeys: 3 });
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) {
    model[name] =
      options.knownValues?.[name] ??
      arbitraryAt(properties[name] as JsonSchema, options, depth + 1);
  }
  const required = ((schema.required ?? []) as string[]).filter((name) => name in model);
  return fc.record(model, { requiredKeys: required });
}
