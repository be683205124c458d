import type { Context, TypedResponse } from "hono";

/**
 * A 200 response whose JSON body was serialized already (by Postgres), sent as it is. Typed as
 * the route declares it, like `c.json`; the caller vouches that the text has that shape.
 */
export function jsonText<T>(c: Context, text: string): TypedResponse<T, 200, "json"> {
  return c.body(text, 200, { "content-type": "application/json" }) as unknown as TypedResponse<
    T,
    200,
    "json"
  >;
}
