/**
 * Email addresses: what counts as one (the dot-atom form of RFC 5322's addr-spec, which is what
 * mail servers accept in practice), a mailbox with a display name (`Switchboard <noreply@x.org>`),
 * and how an address is shown in logs (`j***@example.com`).
 */

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** `user@example.com`: an addr-spec of at most 254 characters, its local part at most 64. */
export function isEmailAddress(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf("@");
  if (at < 1) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  return (
    local.length <= 64 &&
    LOCAL_PART.test(local) &&
    domain.length > 0 &&
    domain.split(".").every((label) => DOMAIN_LABEL.test(label))
  );
}

export interface Mailbox {
  name: string;
  address: string;
}

const NAME_ADDR = /^(.*?)\s*<([^<>]*)>$/;

/** `user@example.com` or `Display Name <user@example.com>`; undefined when it is neither. */
export function parseMailbox(value: string): Mailbox | undefined {
  const trimmed = value.trim();
  if (/[\r\n]/.test(trimmed)) return undefined;
  const named = NAME_ADDR.exec(trimmed);
  const name = (named?.[1] ?? "").replace(/^"(.*)"$/, "$1").trim();
  const address = (named ? (named[2] ?? "") : trimmed).trim();
  if (/[<>]/.test(name) || !isEmailAddress(address)) return undefined;
  return { name, address };
}

/** The address as logs show it: `jane.doe@example.com` → `j***@example.com`. */
export function maskEmailAddress(value: string): string {
  const address = parseMailbox(value)?.address ?? value;
  const at = address.lastIndexOf("@");
  if (at < 1) return "***";
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}

export function maskEmailAddresses(values: readonly string[]): string[] {
  return values.map(maskEmailAddress);
}

const ADDRESS_IN_TEXT = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*/g;

/** `text` with every address in it masked, e.g. a server's reply naming a recipient. */
export function maskEmailAddressesIn(text: string): string {
  return text.includes("@") ? text.replace(ADDRESS_IN_TEXT, maskEmailAddress) : text;
}
