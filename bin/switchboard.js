#!/usr/bin/env node
// Runs the TypeScript sources directly: Node strips their types on load, no loader needed.
import { unsupportedNodeMessage } from "./nodeVersion.js";

const unsupported = unsupportedNodeMessage(process.versions.node);
if (unsupported) {
  console.error(unsupported);
  process.exit(1);
}
await import("../src/cli/main.ts");
