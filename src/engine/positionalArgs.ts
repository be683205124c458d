/**
 * Celery's positional arguments (`process_call_recording.delay(123)`): `args` fill, in order,
 * the payload fields a task declares in `positionalArgs`, beside the named ones (`kwargs`).
 */
import { EnqueueError } from "./errors.ts";
import type { AnyTask } from "./types.ts";

/** What the caller calls its two fields, so a refusal names the one at fault. */
export interface ArgumentFieldNames {
  args: string;
  named: string;
}

/**
 * The payload of `args` and `named` together. Refuses args for a task that declares no order,
 * more args than it names, and a field given both ways.
 *
 * @example
 * payloadFromArgs(transcribeRecording, [456, "en-US"], {})
 * // → { recording_id: 456, language: "en-US" }
 */
export function payloadFromArgs(
  task: AnyTask,
  args: readonly unknown[],
  named: Record<string, unknown>,
  fields: ArgumentFieldNames = { args: "args", named: "kwargs" },
): Record<string, unknown> {
  if (args.length === 0) return named;
  const order = task.positionalArgs ?? [];
  if (order.length === 0) {
    throw refusal(
      fields.args,
      `task ${task.name} takes no positional args; name them in ${fields.named}`,
    );
  }
  if (args.length > order.length) {
    throw refusal(
      fields.args,
      `task ${task.name} takes at most ${order.length} positional args (${order.join(", ")}), got ${args.length}`,
    );
  }
  const payload: Record<string, unknown> = { ...named };
  for (const [index, value] of args.entries()) {
    const name = order[index] as string;
    if (Object.hasOwn(named, name)) {
      throw refusal(
        `${fields.named}.${name}`,
        `${name} is given twice: as ${fields.args}[${index}] and in ${fields.named}`,
      );
    }
    payload[name] = value;
  }
  return payload;
}

/**
 * Checks a task's declared order against its payload schema: unique names, each a field of the
 * payload when the schema lists its fields.
 */
export function checkPositionalArgs(task: AnyTask): void {
  const order = task.positionalArgs;
  if (order === undefined) return;
  const where = `task ${task.name}: positionalArgs`;
  if (order.length === 0) throw new Error(`${where} must name at least one payload field`);
  if (new Set(order).size !== order.length) throw new Error(`${where} names a field twice`);
  const shape = (task.payload as { shape?: Record<string, unknown> }).shape;
  if (shape === undefined) return;
  for (const name of order) {
    if (!Object.hasOwn(shape, name)) throw new Error(`${where}: ${name} is not a payload field`);
  }
}

function refusal(path: string, message: string): EnqueueError {
  return new EnqueueError(`invalid ${path} (${message})`, [{ path, message }]);
}
