/** Twilio's request parameters: a form-encoded body, where a name may repeat. */
import type { Context } from "hono";
import { TwilioApiError } from "./errors.ts";

export interface FormParams {
  get(name: string): string | undefined;
  /** Every value of a repeatable parameter. */
  all(name: string): string[];
}

export async function readForm(c: Context): Promise<FormParams> {
  const type = c.req.header("content-type") ?? "";
  const body = type.includes("application/x-www-form-urlencoded")
    ? new URLSearchParams(await c.req.text())
    : new URLSearchParams();
  return {
    get: (name) => body.get(name) ?? undefined,
    all: (name) => body.getAll(name),
  };
}

/** `+` and 8 to 15 digits, the first not 0. */
export const isE164 = (value: string) => /^\+[1-9]\d{7,14}$/.test(value);

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === "http:" || protocol === "https:";
}

export function httpMethod(value: string | undefined, name: string): "GET" | "POST" {
  const method = (value ?? "POST").toUpperCase();
  if (method !== "GET" && method !== "POST") {
    throw new TwilioApiError(400, 20001, `${name} must be GET or POST`);
  }
  return method;
}

export function booleanParam(value: string | undefined): boolean {
  return value?.toLowerCase() === "true";
}
