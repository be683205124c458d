/**
 * Whether an error says the database cannot be reached right now (refused or lost connection, a
 * server shutting down or starting up), as opposed to a statement it refused. The API answers
 * these with 503 `database_unavailable`; a worker rides them out.
 */
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
]);

const connectionMessages = [
  "Connection terminated",
  "connection error",
  "Client was closed and is not queryable",
  "timeout exceeded when trying to connect",
];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (connectionCodes.has(code) || code.startsWith("08"))) return true;
  if (connectionMessages.some((text) => error.message.includes(text))) return true;
  // AggregateError (several addresses refused) and wrapped errors carry the cause inside.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return error.cause !== undefined && isDatabaseUnavailable(error.cause);
}
