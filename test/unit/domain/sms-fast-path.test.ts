import fc from 'fast-check';
import { SegmentedMessage } from 'sms-segments-calculator';
import { composeSms, fitsOneSms, toGsm7 } from '../../../shared/domain/text.js';

/**
 * fitsOneSms and toGsm7 answer from a per-character table (text.ts) instead of segmenting every
 * text with the library (the storm benchmark's hot spot): they must still give exactly the
 * answers of the library-only versions below.
 */
const REPLACEMENTS: Record<string, string> = {
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201C': '"', '\u201D': '"', '\u201E': '"',
  '\u2013': '-', '\u2014': '-', '\u2212': '-', '\u2026': '...', '\u00A0': ' ', '\u2022': '*', '\u00B7': '-',
};
const libraryFits = (t: string) => {
  const m = new SegmentedMessage(t, 'auto');
  return m.encodingName === 'GSM-7' && m.segmentsCount === 1;
};
const libraryToGsm7 = (text: string) => {
  const mapped = [...text].map((ch) => REPLACEMENTS[ch] ?? ch).join('');
  const bad = new Set(new SegmentedMessage(mapped, 'auto').getNonGsmCharacters());
  return bad.size === 0 ? mapped : [...mapped].map((ch) => (bad.has(ch) ? '?' : ch)).join('');
};

const alphabet = [...'abcXYZ 019.,:;-()/@£$¥èéùìòÇØøÅåÆæßÉ!"#%&\'*+<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~]|€\r\n\t\f'].concat(['e\u0301', '😀', '\u2019', '\u2026', '\u00a0', '中', '\r\n', '\u200d']);
const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 200 }).map((cs) => cs.join(''));

describe('the SMS fast path agrees with sms-segments-calculator', () => {
  test('fitsOneSms', () => {
    fc.assert(fc.property(text, (t) => fitsOneSms(t) === libraryFits(t)), { numRuns: 3000 });
  });
  test('fitsOneSms at the 160-septet edge, with extended characters and CR LF', () => {
    for (const t of ['a'.repeat(160), 'a'.repeat(161), `${'a'.repeat(158)}€`, `${'a'.repeat(159)}€`, `${'a'.repeat(158)}\r\n`, `${'a'.repeat(159)}\r\n`, '']) {
      expect(fitsOneSms(t)).toBe(libraryFits(t));
    }
  });
  test('toGsm7', () => {
    fc.assert(fc.property(text, (t) => toGsm7(t) === libraryToGsm7(t)), { numRuns: 3000 });
  });
  test('composeSms of GSM-7 parts fits one part', () => {
    const gsm = fc.array(fc.constantFrom(...'abc XYZ 019.,:;-()/@£$èé^{}[~]|€'), { maxLength: 120 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(fc.array(gsm, { minLength: 1, maxLength: 5 }), (ts) => libraryFits(composeSms(ts.map((t, i) => ({ text: t, optional: i > 0 }))))),
      { numRuns: 500 },
    );
  });
});
