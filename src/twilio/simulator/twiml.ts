/**
 * Reads a TwiML document as Twilio does before running it: XML elements with their attributes
 * and text, the root `<Response>`. Only what TwiML uses is understood (elements, attributes in
 * single or double quotes, text, the five XML entities and numeric character references,
 * comments, the XML declaration); anything else is a `TwimlError`, as Twilio reports a document
 * it cannot parse (error 12100).
 *
 * @example
 * const response = parseTwiml('<Response><Enqueue action="/done">support</Enqueue></Response>');
 * const enqueue = firstVerb(response, "Enqueue"); // { name: "Enqueue", attributes: { action: "/done" }, text: "support", … }
 */
export interface TwimlElement {
  name: string;
  attributes: Record<string, string>;
  children: TwimlElement[];
  /** The element's own text, entities decoded and trimmed. */
  text: string;
}

export class TwimlError extends Error {
  override name = "TwimlError";
}

const entities: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
};

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const decoded = entities[entity];
    if (decoded === undefined) throw new TwimlError(`unknown entity ${whole}`);
    return decoded;
  });
}

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<\/?[^>]*>|[^<]+/g;
const OPEN_TAG =
  /^<([A-Za-z][\w.-]*)((?:\s+[A-Za-z_:][\w.:-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>$/;
const ATTRIBUTE = /([A-Za-z_:][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Parses a TwiML document; its root must be `<Response>`. */
export function parseTwiml(document: string): TwimlElement {
  const root: TwimlElement = { name: "#document", attributes: {}, children: [], text: "" };
  const open: TwimlElement[] = [root];
  for (const [token] of document.matchAll(TOKEN)) {
    const current = open.at(-1) as TwimlElement;
    if (token.startsWith("<!--") || token.startsWith("<?")) continue;
    if (token.startsWith("</")) {
      const name = token.slice(2, -1).trim();
      if (open.length < 2 || current.name !== name) {
        throw new TwimlError(`unexpected </${name}>`);
      }
      current.text = current.text.trim();
      open.pop();
      continue;
    }
    if (token.startsWith("<")) {
      const tag = OPEN_TAG.exec(token);
      if (!tag) throw new TwimlError(`malformed tag ${token}`);
      const attributes: Record<string, string> = {};
      for (const [, name, double, single] of (tag[2] ?? "").matchAll(ATTRIBUTE)) {
        attributes[name as string] = decode(double ?? single ?? "");
      }
      const element = { name: tag[1] as string, attributes, children: [], text: "" };
      current.children.push(element);
      if (tag[3] !== "/") open.push(element);
      continue;
    }
    if (current === root) {
      if (token.trim()) throw new TwimlError("text outside <Response>");
      continue;
    }
    current.text += decode(token);
  }
  if (open.length > 1) throw new TwimlError(`<${open.at(-1)?.name}> is not closed`);
  const [response, ...others] = root.children;
  if (response?.name !== "Response" || others.length > 0) {
    throw new TwimlError("a TwiML document is one <Response> element");
  }
  return response;
}

/** The first verb of that name directly in `<Response>` (or in `parent`). */
export function firstVerb(parent: TwimlElement, name: string): TwimlElement | undefined {
  return parent.children.find((child) => child.name === name);
}

/**
 * Roughly how long Twilio takes to play a document of `<Say>`, `<Play>` and `<Pause>`: a
 * `<Pause>` its `length` (default 1 s), spoken text about 2.5 words a second, `<Play>` one second
 * per `loop`.
 */
export function playingSeconds(response: TwimlElement): number {
  let seconds = 0;
  for (const verb of response.children) {
    const loop = Math.max(1, Number(verb.attributes.loop ?? 1) || 1);
    if (verb.name === "Pause") seconds += Number(verb.attributes.length ?? 1) || 0;
    else if (verb.name === "Say") seconds += (loop * verb.text.split(/\s+/).length) / 2.5;
    else if (verb.name === "Play") seconds += loop;
  }
  return seconds;
}
