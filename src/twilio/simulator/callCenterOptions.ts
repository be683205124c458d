/**
 * How the simulated call center behaves (see callCenterPlayer.ts). Every field is optional;
 * `defaultCallCenterOptions` holds the defaults, in this one place. A bad option is refused at
 * construction with the field named (`handleTime.meanSeconds: must be greater than 0`).
 *
 * Durations are drawn from a distribution:
 * - `{ distribution: "exponential", meanSeconds, minSeconds?, maxSeconds? }`: memoryless, the
 *   usual model of callers' patience; a draw outside [min, max] is clamped into it;
 * - `{ distribution: "uniform", minSeconds, maxSeconds }`;
 * - `{ distribution: "fixed", seconds }`, for tests.
 */
import { z } from "zod";

const seconds = (field: string) =>
  z
    .number({ error: `${field} must be a number of seconds` })
    .finite(`${field} must be a number of seconds`)
    .min(0, `${field} must be at least 0`)
    .max(86_400, `${field} must be at most 86400 (a day)`);

export const durationSchema = z
  .discriminatedUnion(
    "distribution",
    [
      z.strictObject({
        distribution: z.literal("exponential"),
        meanSeconds: seconds("meanSeconds").positive("meanSeconds must be greater than 0"),
        minSeconds: seconds("minSeconds").default(0),
        maxSeconds: seconds("maxSeconds").optional(),
      }),
      z.strictObject({
        distribution: z.literal("uniform"),
        minSeconds: seconds("minSeconds"),
        maxSeconds: seconds("maxSeconds"),
      }),
      z.strictObject({ distribution: z.literal("fixed"), seconds: seconds("seconds") }),
    ],
    { error: "distribution must be exponential, uniform or fixed" },
  )
  .superRefine((duration, ctx) => {
    if ("maxSeconds" in duration && duration.maxSeconds !== undefined) {
      if (duration.maxSeconds < duration.minSeconds) {
        ctx.addIssue({
          code: "custom",
          path: ["maxSeconds"],
          message: "maxSeconds must be at least minSeconds",
        });
      }
    }
  });

export type Duration = z.output<typeof durationSchema>;
export type DurationInput = z.input<typeof durationSchema>;

const callsPerMinute = z
  .number({ error: "callsPerMinute must be a number" })
  .finite("callsPerMinute must be a number")
  .min(0, "callsPerMinute must be at least 0")
  .max(6_000, "callsPerMinute must be at most 6000");

export const callCenterOptionsSchema = z.strictObject({
  /**
   * Callers arriving per minute into each call queue (a Poisson process), or per call queue by
   * name (a call queue not named gets none). 0: no arrivals; `arrive()` still places a caller.
   */
  callsPerMinute: z
    .union([callsPerMinute, z.record(z.string().min(1), callsPerMinute)], {
      error: "callsPerMinute must be a number or an object of numbers by call queue name",
    })
    .default(3),
  /** Simulated agents on duty, taken in order from the agents given; each serves one call queue. */
  agents: z
    .number({ error: "agents must be a whole number" })
    .int("agents must be a whole number")
    .min(0, "agents must be at least 0")
    .max(1_000, "agents must be at most 1000")
    .default(6),
  /** How long a caller waits in the call queue before hanging up. */
  patience: durationSchema.default({
    distribution: "exponential",
    meanSeconds: 45,
    minSeconds: 2,
    maxSeconds: 300,
  }),
  /** From the agent's answer to the hang-up (talk; nobody is put on hold). */
  handleTime: durationSchema.default({
    distribution: "exponential",
    meanSeconds: 25,
    minSeconds: 5,
    maxSeconds: 180,
  }),
  /** From the hang-up to the agent being available again. */
  wrapUpTime: durationSchema.default({ distribution: "uniform", minSeconds: 3, maxSeconds: 12 }),
  /** How long an agent's desk waits before dialing in again after its leg failed. */
  retrySeconds: seconds("retrySeconds").default(5),
  /** How long one request to the webhooks or the API may take. */
  requestTimeoutSeconds: seconds("requestTimeoutSeconds")
    .positive("requestTimeoutSeconds must be greater than 0")
    .default(15),
});

export type CallCenterOptions = z.output<typeof callCenterOptionsSchema>;
export type CallCenterOptionsInput = z.input<typeof callCenterOptionsSchema>;

export const defaultCallCenterOptions: CallCenterOptions = callCenterOptionsSchema.parse({});

export class CallCenterOptionsError extends Error {
  override name = "CallCenterOptionsError";
  /** The fields refused, e.g. `patience.meanSeconds`. */
  readonly fields: string[];
  constructor(problems: { field: string; message: string }[]) {
    super(
      `Invalid call center options: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`,
    );
    this.fields = problems.map((problem) => problem.field);
  }
}

/** Parses options, defaults filled in; throws `CallCenterOptionsError` naming each bad field. */
export function parseCallCenterOptions(input: unknown = {}): CallCenterOptions {
  const parsed = callCenterOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new CallCenterOptionsError(
    parsed.error.issues.flatMap((issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({
            field: [...issue.path, key].join("."),
            message: `${key} is not an option`,
          }))
        : [{ field: issue.path.join(".") || "options", message: issue.message }],
    ),
  );
}

/** One draw of `duration`, in seconds; `random` gives numbers in [0, 1). */
export function drawSeconds(duration: Duration, random: () => number): number {
  switch (duration.distribution) {
    case "fixed":
      return duration.seconds;
    case "uniform":
      return duration.minSeconds + random() * (duration.maxSeconds - duration.minSeconds);
    case "exponential": {
      const drawn = -Math.log(1 - random()) * duration.meanSeconds;
      return Math.min(
        duration.maxSeconds ?? Number.POSITIVE_INFINITY,
        Math.max(duration.minSeconds, drawn),
      );
    }
  }
}
