import { DialtoneError } from '../domain/errors.js';
import { asArray, decodeText, htmlToText, parseRfc822Date, parseXml, xmlAttr, xmlText, type XmlElement, type XmlNode } from './text.js';

/**
 * XML plumbing shared by the agency-feed parsers (RSS/Atom, Statuspage history, CAP): safe parse
 * (text.ts: entity expansion off) with every failure as a SOURCE.BAD_PAYLOAD naming the source,
 * namespace prefixes dropped (CAP 1.1 and 1.2, `cap:` extension elements in NWS Atom indexes and
 * a prefixed `<cap:alert>` all read the same), and RSS 2.0 / RSS 1.0 / Atom items in one shape.
 */

export function badPayload(sourceId: string, what: string): DialtoneError {
  return new DialtoneError('SOURCE.BAD_PAYLOAD', `source "${sourceId}": ${what}`, { sourceId });
}

/** Element names without their namespace prefix (`cap:event` → `event`); attributes keep theirs. */
function withoutPrefixes(node: XmlNode): XmlNode {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(withoutPrefixes);
  const out: XmlElement = {};
  for (const [key, value] of Object.entries(node)) {
    if (value === undefined) continue;
    const local = key.startsWith('@_') || key.startsWith('#') ? key : key.slice(key.indexOf(':') + 1);
    const v = withoutPrefixes(value);
    const existing = out[local];
    // Same local name in two namespaces (rare): keep both, as a repeated element would be.
    out[local] = existing === undefined ? v : [...asArray(existing), ...asArray(v)];
  }
  return out;
}

/**
 * Bytes → XML tree, safely: decoded by BOM / XML declaration (ISO-8859-1 CAP), parsed with
 * entity expansion off (a billion-laughs body stays a few bytes, an external entity is never
 * fetched). Any failure is SOURCE.BAD_PAYLOAD naming the source and the document.
 */
export function readXml(body: Buffer | string, sourceId: string, what: string): XmlElement {
  try {
    const text = decodeText(body, { what });
    return withoutPrefixes(parseXml(text, what)) as XmlElement;
  } catch (err) {
    if (err instanceof DialtoneError) throw err.message.startsWith('source "') ? err : badPayload(sourceId, err.message);
    // fast-xml-parser throws plain Errors, e.g. "External entities are not supported" for XXE.
    throw badPayload(sourceId, `${what} could not be read as XML (${(err as Error).message})`);
  }
}

/** The one root element of a document: [name, element]. */
export function rootOf(doc: XmlElement): [string, XmlElement] | undefined {
  for (const [name, value] of Object.entries(doc)) {
    if (name.startsWith('@_') || name.startsWith('#') || value === undefined) continue;
    const el = Array.isArray(value) ? value[0] : value;
    return [name, typeof el === 'object' && el !== null && !Array.isArray(el) ? el : {}];
  }
  return undefined;
}

/** First child element named `name` as an element ({} when it is text-only or absent). */
export function child(node: XmlNode | undefined, name: string): XmlElement | undefined {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return undefined;
  const v = node[name];
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? { '#text': first } : Array.isArray(first) ? {} : first;
}

/** Every child named `name`. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string' || Array.isArray(node)) return [];
  return asArray(node[name]);
}

/** Trimmed text of the first child named `name` ('' when absent). */
export function textOf(node: XmlNode | undefined, name: string): string {
  const first = children(node, name)[0];
  return xmlText(first).trim();
}

/** Any date a feed writes (ISO-8601, RFC-822 with zone names) → ISO UTC, or undefined. */
export function feedDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const rfc = parseRfc822Date(value);
  if (rfc) return rfc;
  // ISO-8601 only (Date.parse would also guess at free text).
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return undefined;
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** One RSS item or Atom entry, whatever the dialect. */
export interface FeedItem {
  /** guid / id / link / title: the item's stable key. */
  id: string;
  title: string;
  link?: string;
  /** The item's body as HTML-free text (description / summary / content). */
  text: string;
  /** The raw HTML of the body (Statuspage puts its lifecycle markers in it). */
  html: string;
  /** ISO UTC: updated, else published/pubDate/dc:date. */
  date?: string;
  published?: string;
  /** Position in the document (0 = first; feeds list newest first). */
  index: number;
}

export interface Feed {
  format: 'rss' | 'rdf' | 'atom';
  title: string;
  items: FeedItem[];
}

function atomLink(entry: XmlNode): string | undefined {
  const links = children(entry, 'link');
  const alternate = links.find((l) => (xmlAttr(l, 'rel') ?? 'alternate') === 'alternate') ?? links[0];
  return (alternate && (xmlAttr(alternate, 'href') ?? (xmlText(alternate).trim() || undefined))) || undefined;
}

/** Text of an Atom text construct or RSS field: type="html" / "xhtml" content is reduced to text. */
function plain(node: XmlNode | undefined): { text: string; html: string } {
  if (node === undefined) return { text: '', html: '' };
  const first = Array.isArray(node) ? node[0] : node;
  const raw = xmlText(first);
  return { text: htmlToText(raw), html: raw };
}

function item(node: XmlNode, index: number, format: Feed['format']): FeedItem {
  const title = plain(children(node, 'title')[0]).text;
  const body =
    format === 'atom'
      ? plain(children(node, 'content')[0] ?? children(node, 'summary')[0])
      : plain(children(node, 'encoded')[0] ?? children(node, 'description')[0]);
  const link = format === 'atom' ? atomLink(node) : textOf(node, 'link') || xmlAttr(node, 'rdf:about') || undefined;
  const published = feedDate(textOf(node, 'published') || textOf(node, 'pubDate') || textOf(node, 'date') || textOf(node, 'issued'));
  const updated = feedDate(textOf(node, 'updated') || textOf(node, 'modified'));
  const id = textOf(node, format === 'atom' ? 'id' : 'guid') || link || title || `#${index}`;
  const out: FeedItem = { id, title, text: body.text, html: body.html, index };
  if (link) out.link = link;
  const date = updated ?? published;
  if (date) out.date = date;
  if (published) out.published = published;
  return out;
}

/**
 * RSS 2.0 (`rss/channel/item`), RSS 1.0 (`rdf:RDF/item`) or Atom (`feed/entry`) → items.
 * A channel or feed with no items is an empty list ("nothing posted"); a document that is not
 * a feed at all (no channel, another root) is SOURCE.BAD_PAYLOAD, never an empty feed.
 */
export function readFeed(body: Buffer | string, sourceId: string): Feed {
  const doc = readXml(body, sourceId, 'feed');
  const root = rootOf(doc);
  if (!root) throw badPayload(sourceId, 'feed has no root element');
  const [name, el] = root;
  if (name === 'rss') {
    const channel = child(el, 'channel');
    if (!channel) throw badPayload(sourceId, 'RSS feed has no <channel>');
    return { format: 'rss', title: textOf(channel, 'title'), items: children(channel, 'item').map((n, i) => item(n, i, 'rss')) };
  }
  if (name === 'RDF') {
    if (!child(el, 'channel')) throw badPayload(sourceId, 'RSS 1.0 feed has no <channel>');
    return { format: 'rdf', title: textOf(child(el, 'channel'), 'title'), items: children(el, 'item').map((n, i) => item(n, i, 'rdf')) };
  }
  if (name === 'feed') return { format: 'atom', title: plain(children(el, 'title')[0]).text, items: children(el, 'entry').map((n, i) => item(n, i, 'atom')) };
  throw badPayload(sourceId, `feed is not RSS or Atom (root element <${name}>)`);
}

/** Newest first: by date where both have one, else by document order (feeds list newest first). */
export function newestFirst(a: FeedItem, b: FeedItem): number {
  if (a.date && b.date && a.date !== b.date) return a.date < b.date ? 1 : -1;
  if (a.date && !b.date) return -1;
  if (!a.date && b.date) return 1;
  return a.index - b.index;
}

/** Keywords match whole words, case-insensitively ("Actions" matches "GitHub Actions", not "Transactions"). */
export function mentionsAny(text: string, keywords: readonly string[]): boolean {
  const hay = text.toLowerCase();
  return keywords.some((k) => {
    const needle = k.trim().toLowerCase();
    if (needle === '') return false;
    const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'u').test(hay);
  });
}
