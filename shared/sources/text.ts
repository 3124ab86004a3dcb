import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { TextDecoder } from 'node:util';
import { DialtoneError } from '../domain/errors.js';

/**
 * Small text helpers every source parser can share (vendor status, RSS/Atom, CAP):
 *
 * - `decodeText(body, { charset })` — bytes → string by BOM, then an explicit charset (e.g. the
 *   Content-Type's), then the XML declaration's `encoding=` (XML bodies), else UTF-8. Invalid
 *   bytes are an error, never U+FFFD.
 * - `parseXml(text)` — well-formedness check, then fast-xml-parser with entity processing OFF
 *   (no DOCTYPE entity is ever expanded: a billion-laughs body stays a few bytes). Only the five
 *   predefined XML entities and numeric character references are decoded, in one pass, outside
 *   CDATA. Elements come back as plain objects: a text-only element is a string; attributes are
 *   `@_name`; text beside attributes is `#text`; repeated elements are arrays (use `asArray`).
 * - `xmlText(node)` — the text of an element whatever its shape (string, `{ '#text' }`, absent).
 * - `parseRfc822Date(s)` — RFC-822/1123 dates incl. US zone *names* (PST/PDT/…, `Z`, `UT`) → ISO UTC.
 * - `htmlToText(html)` — a feed's HTML description → plain text for titles and keyword search.
 *
 * Failures throw DialtoneError `SOURCE.BAD_PAYLOAD` without a source id; the caller (or
 * read-source.ts) prefixes `source "<id>": `.
 */

function bad(message: string): DialtoneError {
  return new DialtoneError('SOURCE.BAD_PAYLOAD', message);
}

export interface DecodeOptions {
  /** A charset label from outside the body (Content-Type `charset=`); a BOM still wins. */
  charset?: string;
  /** Look for `<?xml … encoding="…"?>` when there is no BOM or charset (default true). */
  xmlDeclaration?: boolean;
  /** Names the body in error messages, e.g. "summary.json" (default "body"). */
  what?: string;
}

function bomEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  return undefined;
}

/** The encoding an XML declaration names, read from the first bytes as ASCII; BOM-less UTF-16 by its `<?` pattern. */
function xmlDeclaredEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return 'utf-16be';
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return 'utf-16le';
  const head = Buffer.from(b.subarray(0, 256)).toString('latin1');
  const m = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]*)["']/.exec(head);
  const declared = m?.[1]?.toLowerCase();
  // A declaration readable as ASCII cannot be UTF-16/32 without a BOM: the bytes say otherwise.
  return declared && /^utf-?(16|32)/.test(declared) ? undefined : declared;
}

/** windows-1252 0x80–0x9F (undefined bytes keep their C1 code point, as WHATWG says). */
const CP1252_C1 = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8DŽ\x8F\x90‘’“”•–—˜™š›œ\x9DžŸ';

/**
 * Node 20's TextDecoder reads "windows-1252" (which every ISO-8859-1/latin1 label means on the
 * web) as plain ISO-8859-1: bytes 0x80–0x9F come out as C1 controls. Map them as WHATWG does.
 */
function fixWindows1252(text: string): string {
  return text.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80] ?? c);
}

/** Bytes → text (see the module comment). A string is returned as is, minus a leading BOM. */
export function decodeText(body: Uint8Array | string, opts: DecodeOptions = {}): string {
  if (typeof body === 'string') return body.replace(/^\uFEFF/, '');
  const what = opts.what ?? 'body';
  const bom = bomEncoding(body);
  const label = bom ?? opts.charset?.trim().toLowerCase() ?? (opts.xmlDeclaration === false ? undefined : xmlDeclaredEncoding(body)) ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true }); // drops the matching BOM itself
  } catch {
    throw bad(`${what} declares an unsupported character encoding "${label}"`);
  }
  try {
    const text = decoder.decode(body);
    return decoder.encoding === 'windows-1252' ? fixWindows1252(text) : text;
  } catch {
    throw bad(`${what} is not valid ${decoder.encoding} text`);
  }
}

// ── XML ─────────────────────────────────────────────────────────────────────────────────────────

export type XmlNode = string | XmlElement | XmlNode[];
export interface XmlElement {
  [name: string]: XmlNode | undefined;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five predefined XML entities and numeric references once; anything else (e.g. `&nbsp;`, `&lol;`) stays literal. */
export function decodeXmlEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,4});/g, (whole, ref: string) => {
    if (ref[0] !== '#') return PREDEFINED[ref] ?? whole;
    const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
  });
}

const CDATA = '#cdata';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: TEXT,
  cdataPropName: CDATA,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

const joinText = (v: unknown): string => (Array.isArray(v) ? v.map(joinText).join('') : typeof v === 'string' ? v : '');

/** Entities decoded in text and attributes, CDATA kept verbatim and merged into the text, text-only elements collapsed to strings. */
function normalise(node: unknown): XmlNode {
  if (typeof node === 'string') return decodeXmlEntities(node);
  if (Array.isArray(node)) return node.map(normalise);
  if (node === null || typeof node !== 'object') return String(node ?? '');
  const src = node as Record<string, unknown>;
  const out: XmlElement = {};
  const hasCdata = CDATA in src;
  for (const [k, v] of Object.entries(src)) {
    if (k === CDATA || k === TEXT) continue;
    out[k] = normalise(v);
  }
  if (TEXT in src || hasCdata) {
    const text = decodeXmlEntities(joinText(src[TEXT])) + joinText(src[CDATA]);
    if (Object.keys(out).length === 0) return text;
    out[TEXT] = text;
  }
  return out;
}

/**
 * Parses XML text safely (see the module comment). Throws `SOURCE.BAD_PAYLOAD` with the line of
 * the first error for text that is not well-formed XML (an HTML error page, JSON, an empty body).
 */
export function parseXml(text: string, what = 'body'): XmlElement {
  const trimmed = text.replace(/^\uFEFF/, '');
  if (trimmed.trim() === '') throw bad(`${what} is empty, not XML`);
  const valid = XMLValidator.validate(trimmed, { allowBooleanAttributes: true });
  if (valid !== true) {
    const start = trimmed.slice(0, 40).replace(/\s+/g, ' ').trim();
    throw bad(`${what} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}; starts with "${start}")`);
  }
  const root = normalise(parser.parse(trimmed));
  if (typeof root !== 'object' || Array.isArray(root)) throw bad(`${what} has no root element`);
  return root;
}

/** A repeated-or-single child as an array (absent → []). */
export function asArray(node: XmlNode | undefined): XmlNode[] {
  return node === undefined ? [] : Array.isArray(node) ? node : [node];
}

/** The element's text: a string as is, `#text` of an element with attributes, '' when absent or structured. */
export function xmlText(node: XmlNode | undefined): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return xmlText(node[0]);
  const t = node[TEXT];
  return typeof t === 'string' ? t : '';
}

/** An attribute's value (`@_name`) of an element, if any. */
export function xmlAttr(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** The child element `name` when it is an element (not text); undefined otherwise. */
export function xmlChild(node: XmlNode | undefined, name: string): XmlNode | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  return node[name];
}

// ── Dates ───────────────────────────────────────────────────────────────────────────────────────

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Zone names RFC 822 defines (plus UTC and the US zones feeds use); offsets in minutes east of UTC. */
const ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
  AKST: -540, AKDT: -480, HST: -600,
};

/**
 * RFC-822 / RFC-1123 date → ISO-8601 UTC, or undefined when it cannot be read (an unknown zone
 * name is not guessed). Accepts an optional weekday, 2-digit years, optional seconds, numeric
 * offsets (`-0800`) and zone names (`PST`, `PDT`, `Z`, `GMT`, …).
 */
export function parseRfc822Date(input: string | undefined | null): string | undefined {
  if (!input) return undefined;
  const m = /^\s*(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([A-Za-z]{1,5}|[+-]\d{4}|[+-]\d{2}:\d{2})?\s*$/.exec(input);
  if (!m) return undefined;
  const [, d, mon, y, hh, mm, ss, zone] = m;
  const month = MONTHS.indexOf(mon!.slice(0, 3).toLowerCase());
  if (month < 0) return undefined;
  let year = Number(y);
  if (y!.length === 2) year += year < 50 ? 2000 : 1900;
  let offset: number | undefined;
  if (zone === undefined) offset = 0; // RFC 822 requires a zone; a bare time is read as UTC
  else if (/^[+-]/.test(zone)) {
    const digits = zone.replace(':', '');
    offset = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  } else offset = ZONES[zone.toUpperCase()];
  if (offset === undefined) return undefined;
  const [day, hour, minute, second] = [Number(d), Number(hh), Number(mm), Number(ss ?? 0)];
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return undefined; // 31 Feb
  return new Date(ms - offset * 60_000).toISOString();
}

// ── HTML ────────────────────────────────────────────────────────────────────────────────────────

const HTML_NAMED: Record<string, string> = { ...PREDEFINED, nbsp: ' ', ndash: '–', mdash: '—', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', hellip: '…' };

/** HTML fragment → one line of plain text: tags dropped, block ends as spaces, common entities decoded, whitespace collapsed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]{2,8});/g, (whole, ref: string) =>
      ref[0] === '#' ? decodeXmlEntities(whole) : (HTML_NAMED[ref.toLowerCase()] ?? whole),
    )
    .replace(/\s+/g, ' ')
    .trim();
}
