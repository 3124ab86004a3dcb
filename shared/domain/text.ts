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

/**
 * Builds an SMS from parts in order, dropping optional parts (last first) until it fits one
 * segment; required parts are shortened with "..." as a last resort.
 */
export function composeSms(parts: ReadonlyArray<{ text: string; optional?: boolean }>): string {
  const kept = parts.map((p) => ({ ...p, text: toGsm7(p.text) }));
  const join = () => kept.map((p) => p.text).filter(Boolean).join(' ');
  for (let i = kept.length - 1; i >= 0 && !fitsOneSms(join()); i--) if (kept[i]!.optional) kept[i]!.text = '';
  const text = join();
  if (fitsOneSms(text)) return text;
  // Cut from an estimate, then by one character: extended characters take two septets.
  let keep = Math.min(text.length, SMS_LIMIT - 3);
  while (keep > 0 && !fitsOneSms(`${text.slice(0, keep).trimEnd()}...`)) keep--;
  return `${text.slice(0, keep).trimEnd()}...`;
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
