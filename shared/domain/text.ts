import { SegmentedMessage } from 'sms-segments-calculator';

/** One SMS part: 160 GSM-7 septets (extended characters such as [ ] { } € count twice). */
export const SMS_LIMIT = 160;
/** SNS and most mail clients reject or truncate subjects of 100 characters or more. */
export const SUBJECT_LIMIT = 99;

const GSM7_REPLACEMENTS: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201C': '"', '\u201D': '"', '\u201E': '"',
  '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u2026': '...', '\u00A0': ' ', '\u2022': '*', '\u00B7': '-',
};

/** GSM-7 septets of one UTF-16 code unit (null: not GSM-7), asked of the library once per character. */
const septetCache = new Map<number, number | null>();
function septetsOf(code: number): number | null {
  let n = septetCache.get(code);
  if (n === undefined) {
    const m = new SegmentedMessage(String.fromCharCode(code), 'auto');
    n = m.encodingName === 'GSM-7' ? m.numberOfCharacters : null;
    septetCache.set(code, n);
  }
  return n;
}

/**
 * The library's answer (septets as GSM-7, null when the text is not all GSM-7) without its
 * per-call grapheme segmentation, which made composeSms's shortening loop quadratic and the
 * hottest code of a storm (bench: 17 of 19 s of rendering). CR LF is one grapheme for the
 * library (and so not GSM-7): undefined leaves such text to the library itself.
 */
function gsm7Septets(text: string): number | null | undefined {
  if (text.includes('\r\n')) return undefined;
  let total = 0;
  for (let i = 0; i < text.length; i++) {
    const n = septetsOf(text.charCodeAt(i));
    if (n === null) return null;
    total += n;
  }
  return total;
}

/** Replaces characters that would flip a message to UCS-2 (70 characters a part). */
export function toGsm7(text: string): string {
  const mapped = [...text].map((ch) => GSM7_REPLACEMENTS[ch] ?? ch).join('');
  if (typeof gsm7Septets(mapped) === 'number') return mapped;
  const bad = new Set(new SegmentedMessage(mapped, 'auto').getNonGsmCharacters());
  return bad.size === 0 ? mapped : [...mapped].map((ch) => (bad.has(ch) ? '?' : ch)).join('');
}

/** Septets the text takes as GSM-7, counted by the library (not by string length). */
export function gsm7Length(text: string): number {
  const m = new SegmentedMessage(text, 'GSM-7');
  return m.numberOfCharacters;
}

export function fitsOneSms(text: string): boolean {
  const septets = gsm7Septets(text);
  if (septets !== undefined) return septets !== null && septets <= SMS_LIMIT;
  const m = new SegmentedMessage(text, 'auto');
  return m.encodingName === 'GSM-7' && m.segmentsCount === 1;
}

/** Shortens a name to the budget composeSms is trying (the whole name while the text fits). */
export type NameFit = (name: string) => string;
type Words = string | ((name: NameFit) => string);

export interface SmsPart {
  /** Plain text, or text built around names (PSAP, county, provider) that may be shortened. */
  text: Words;
  /** Dropped (last first) when the text does not fit with shortened names. */
  optional?: boolean;
  /** Never cut nor dropped: the incident id, the ack code, a fallback number. */
  keep?: boolean;
}

/** Entries listed as many as fit ("a; b; +3 more, see email."), most important first. */
export interface SmsList {
  list: ReadonlyArray<Words>;
  /** Stands for the entries left out; `listed` is 0 when none fit at all. */
  more: (left: number, listed: number) => string;
}

/**
 * A name as an SMS can carry it: characters with a plain-letter form lose their accents
 * (ő → o), others become "?" (one for a run); a name that is mostly "?" is no name at all and
 * `fallback` (the service id) stands for it.
 */
export function smsName(name: string, fallback?: string): string {
  const plain = [...name]
    .map((ch) => {
      if (typeof gsm7Septets(ch) === 'number' || GSM7_REPLACEMENTS[ch] !== undefined) return ch;
      const bare = ch.normalize('NFKD').replace(/\p{M}/gu, '');
      return bare !== '' && typeof gsm7Septets(bare) === 'number' ? bare : '?';
    })
    .join('');
  const gsm = toGsm7(plain).replace(/\?{2,}/g, '?').replace(/\s+/g, ' ').trim();
  const unknown = [...gsm].filter((c) => c === '?').length;
  const letters = gsm.replace(/[\s?]/g, '').length;
  return fallback !== undefined && (gsm === '' || unknown * 2 > letters) ? fallback : gsm || '?';
}

const cutName = (limit: number): NameFit => (name) => {
  const gsm = smsName(name);
  return gsm.length <= limit ? gsm : `${gsm.slice(0, Math.max(1, limit - 1)).trimEnd()}.`;
};

/** What an SMS list says for the entries it could not carry: the email has them all. */
export const moreByEmail = (left: number, listed: number): string => (listed === 0 ? `${left} listed by email.` : `+${left} more, see email.`);

/** Name budgets: down to 20 characters before any part or entry gives way, below only as a last resort. */
const CUTS = [40, 32, 24, 20];
const LAST_CUTS = [16, 12, 8];

/**
 * Builds one GSM-7 SMS from parts in order. When it does not fit: names are shortened first,
 * down to 20 characters, then optional parts dropped (last first), then a list shows fewer
 * entries with "+N more", then names shortened further; `keep` parts (incident id, ack code) are never cut or dropped,
 * and neither is a listed entry's fallback number. Only a text whose fixed words alone overflow
 * is cut with "...", and then before its `keep` parts.
 */
export function composeSms(parts: ReadonlyArray<SmsPart | SmsList>): string {
  let longest = 0;
  const words = (w: Words, fit: NameFit) =>
    toGsm7(
      typeof w === 'string'
        ? w
        : w((n) => {
            longest = Math.max(longest, smsName(n).length);
            return fit(n);
          }),
    );
  const build = (limit: number, dropped: number, listed: number | undefined, kept: 'all' | 'without' | 'only' = 'all') => {
    const fit = Number.isFinite(limit) ? cutName(limit) : smsName;
    let optionalSeen = parts.filter((p) => 'text' in p && p.optional).length;
    const out: string[] = [];
    for (const p of parts) {
      if ('list' in p) {
        if (kept === 'only') continue;
        const k = Math.min(listed ?? p.list.length, p.list.length);
        const shown = p.list.slice(0, k).map((e) => words(e, fit));
        const left = p.list.length - k;
        out.push(left > 0 ? [...shown, toGsm7(p.more(left, k))].join('; ') : shown.length ? `${shown.join('; ')}.` : '');
        continue;
      }
      if (p.optional && optionalSeen-- <= dropped) continue;
      if (kept === 'without' ? p.keep : kept === 'only' && !p.keep) continue;
      out.push(words(p.text, fit));
    }
    return out.filter(Boolean).join(' ');
  };
  const optional = parts.filter((p) => 'text' in p && p.optional).length;
  const listLength = Math.max(0, ...parts.map((p) => ('list' in p ? p.list.length : 0)));
  const whole = build(Infinity, 0, undefined);
  if (fitsOneSms(whole)) return whole;
  const cuts = (limits: number[]) => limits.filter((l) => l < longest);
  const floor = Math.min(longest, CUTS[CUTS.length - 1]!);
  const tries: Array<[number, number, number | undefined]> = [
    ...cuts(CUTS).map((l): [number, number, undefined] => [l, 0, undefined]),
    ...Array.from({ length: optional }, (_, i): [number, number, undefined] => [floor, i + 1, undefined]),
    // Fewer entries, each with as much of its name as then fits.
    ...Array.from({ length: Math.max(0, listLength - 1) }, (_, i) => listLength - 1 - i).flatMap((k) =>
      [Infinity, ...CUTS].map((l): [number, number, number] => [l, optional, k]),
    ),
    ...LAST_CUTS.map((l): [number, number, number] => [l, optional, Math.min(1, listLength)]),
    [8, optional, 0],
  ];
  for (const [limit, dropped, listed] of tries) {
    const text = build(limit, dropped, listed);
    if (fitsOneSms(text)) return text;
  }
  // Fixed words alone overflow: cut them, never the parts kept whole.
  const tail = build(4, optional, 0, 'only');
  const body = build(4, optional, 0, 'without');
  const joined = (k: number) => [`${body.slice(0, k).trimEnd()}...`, tail].filter(Boolean).join(' ');
  let keep = Math.min(body.length, SMS_LIMIT);
  while (keep > 0 && !fitsOneSms(joined(keep))) keep--;
  if (keep > 0) return joined(keep);
  return fitsOneSms(tail) ? tail : `${tail.slice(0, SMS_LIMIT - 3)}...`;
}

export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 3).trimEnd()}...`;
}

/**
 * Building an Intl.DateTimeFormat costs ≈ 50–100 µs and off-heap ICU memory; a storm renders
 * thousands of messages with dozens of times each (bench: 9 ms and ~0.3 MB a message before
 * this cache). One formatter per zone and pattern, reused; an unknown zone still throws.
 */
const formats = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: 'clock' | 'date', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let f = formats.get(key);
  if (!f) {
    f =
      kind === 'clock'
        ? new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' })
        : new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(key, f);
  }
  return f;
}

/**
 * Formatted times, memoised: every email of a notice lists the same services with the same
 * times, so a storm formats the same few instants thousands of times. Bounded: cleared when full.
 */
const formatted = new Map<string, string>();
function memo(key: string, make: () => string): string {
  let out = formatted.get(key);
  if (out === undefined) {
    out = make();
    if (formatted.size >= 10_000) formatted.clear();
    formatted.set(key, out);
  }
  return out;
}

/** "19:02 CDT" in the service's zone. */
export function clockTime(iso: string, timeZone: string): string {
  return memo(`c|${iso}|${timeZone}`, () => {
    const parts = formatter('clock', timeZone).formatToParts(new Date(iso));
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('hour')}:${get('minute')} ${get('timeZoneName')}`;
  });
}

/** "2026-09-28 19:02 CDT (00:02 UTC)": FCC 4.9(h) wants times with their time zone. */
export function fullTime(iso: string, timeZone: string): string {
  return memo(`f|${iso}|${timeZone}`, () => {
    const date = formatter('date', timeZone).format(new Date(iso));
    const local = `${date} ${clockTime(iso, timeZone)}`;
    return timeZone === 'UTC' ? local : `${local} (${clockTime(iso, 'UTC')})`;
  });
}

export function durationText(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** +16125550100 → 612-555-0100 (North American numbers as people dial them); others unchanged. */
export function dialable(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : e164;
}
