/**
 * Faults a test queues for the next matching requests (or calls), Twilio's failure modes:
 *
 * | kind                 | effect on a matching API request                                    |
 * |----------------------|---------------------------------------------------------------------|
 * | `429`                | 429, Twilio code 20429, `Retry-After: retryAfterSeconds` (default 1) |
 * | `500`                | 500, Twilio code 20500                                              |
 * | `timeout`            | holds the request `ms`, then 500; without `ms` never answers        |
 * | `slow`               | waits `ms` (default 200), then answers normally                     |
 * | `error_after_create` | runs the request (the call or message IS created), then answers 500 |
 * | `duplicate`          | the next `count` calls created send every status callback twice     |
 * | `reorder`            | the next `count` calls created send their status callbacks shuffled |
 *
 * `match` (method, path regex) selects requests; the callback kinds ignore it. `count` defaults
 * to 1. Faults apply in the order queued; a request takes at most one.
 */
import type { MiddlewareHandler } from "hono";
import { z } from "zod";
import { twilioErrorBody } from "./errors.ts";
import type { Timers } from "./timers.ts";

export const faultKinds = [
  "429",
  "500",
  "timeout",
  "slow",
  "error_after_create",
  "duplicate",
  "reorder",
] as const;

export type FaultKind = (typeof faultKinds)[number];

const callbackKinds: ReadonlySet<FaultKind> = new Set(["duplicate", "reorder"]);

const pathPattern = z.string().refine(
  (value) => {
    try {
      new RegExp(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected a regular expression" },
);

export const faultSchema = z.strictObject({
  kind: z.enum(faultKinds),
  count: z.number().int().min(1).max(1_000_000).default(1),
  ms: z.number().int().min(0).max(600_000).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  match: z
    .strictObject({ method: z.string().min(1).optional(), path: pathPattern.optional() })
    .optional(),
});

/** A fault as a test writes it (`count` optional). */
export type FaultSpec = z.input<typeof faultSchema>;
export type Fault = z.output<typeof faultSchema>;

export interface CallbackMischief {
  duplicate: boolean;
  reorder: boolean;
}

export class FaultQueue {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault = faultSchema.parse(spec);
    this.faults.push(fault);
    return fault;
  }

  /** The faults still to apply, with the counts left. */
  pending(): Fault[] {
    return this.faults.map((fault) => ({ ...fault }));
  }

  clear(): void {
    this.faults = [];
  }

  /** Takes one use of the first request fault matching `method` and `path`. */
  takeForRequest(method: string, path: string): Fault | undefined {
    return this.take(
      (fault) =>
        !callbackKinds.has(fault.kind) &&
        (!fault.match?.method || fault.match.method.toUpperCase() === method.toUpperCase()) &&
        (!fault.match?.path || new RegExp(fault.match.path).test(path)),
    );
  }

  /** Takes what a newly created call's callbacks suffer. */
  takeForCall(): CallbackMischief {
    return {
      duplicate: this.take((fault) => fault.kind === "duplicate") !== undefined,
      reorder: this.take((fault) => fault.kind === "reorder") !== undefined,
    };
  }

  private take(test: (fault: Fault) => boolean): Fault | undefined {
    const index = this.faults.findIndex(test);
    const fault = this.faults[index];
    if (!fault) return undefined;
    fault.count -= 1;
    if (fault.count === 0) this.faults.splice(index, 1);
    return fault;
  }
}

export type FaultVariables = { Variables: { fault?: FaultKind } };

/** Applies the next matching fault to a Twilio API request and notes its kind on the context. */
export function applyFaults(faults: FaultQueue, timers: Timers): MiddlewareHandler<FaultVariables> {
  return async function applyFault(c, next) {
    const fault = faults.takeForRequest(c.req.method, c.req.path);
    if (!fault) return next();
    c.set("fault", fault.kind);
    const serverError = () =>
      c.json(twilioErrorBody(500, 20500, "An internal server error has occurred"), 500);
    switch (fault.kind) {
      case "429":
        return c.json(twilioErrorBody(429, 20429, "Too Many Requests"), 429, {
          "Retry-After": String(fault.retryAfterSeconds ?? 1),
        });
      case "500":
        return serverError();
      case "timeout":
        if (fault.ms === undefined) await timers.untilCleared();
        else await timers.sleep(fault.ms);
        return serverError();
      case "slow":
        await timers.sleep(fault.ms ?? 200);
        return next();
      case "error_after_create":
        await next();
        c.res = undefined;
        c.res = serverError();
        return;
      default:
        return next();
    }
  };
}
