/**
 * The Node.js release Switchboard needs: 22.18 is the first that runs TypeScript without a
 * loader, and graphile-worker 0.18 requires it. Plain JavaScript that older releases still parse,
 * so they can print why they cannot run Switchboard.
 */
export const requiredNode = { major: 22, minor: 18 };

/**
 * The one-line reason a Node.js version (e.g. `process.versions.node`) cannot run Switchboard, or null.
 * @param {string} version
 * @returns {string | null}
 */
export function unsupportedNodeMessage(version) {
  const [major = 0, minor = 0] = String(version).split(".").map(Number);
  const supported =
    major > requiredNode.major || (major === requiredNode.major && minor >= requiredNode.minor);
  if (supported) return null;
  return `switchboard needs Node.js ${requiredNode.major}.${requiredNode.minor} or newer (this is v${version})`;
}
