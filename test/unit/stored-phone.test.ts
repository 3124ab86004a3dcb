import fc from 'fast-check';
import { getCountries, getExampleNumber } from 'libphonenumber-js';
import examples from 'libphonenumber-js/examples.mobile.json';
import { toE164 } from '../../shared/config/phone.js';
import { readStoredNumber } from '../../shared/config/stored-phone.js';

/**
 * The delivery path reads roster numbers without libphonenumber-js (readStoredNumber): whatever
 * toE164 (libphonenumber-js, what `dialtone roster add` checks with) accepts, it must accept too,
 * with the same E.164. It may accept a little more (an area code not in service); never less.
 */
const agrees = (input: string) => {
  const full = toE164(input);
  if (!full.ok) return true;
  const lite = readStoredNumber(input);
  return lite.ok && lite.e164 === full.e164;
};

describe('readStoredNumber accepts what libphonenumber-js accepts, as the same E.164', () => {
  test('US numbers in the forms people write them', () => {
    const digit = (from: number) => fc.integer({ min: from, max: 9 }).map(String);
    const number = fc.tuple(digit(0), digit(0), digit(0), digit(0), digit(0), digit(0), digit(0), digit(0), digit(0), digit(0)).map((d) => d.join(''));
    const forms = [
      (n: string) => n,
      (n: string) => `+1${n}`,
      (n: string) => `1${n}`,
      (n: string) => `+1 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`,
      (n: string) => `(${n.slice(0, 3)}) ${n.slice(3, 6)}-${n.slice(6)}`,
      (n: string) => `${n.slice(0, 3)}-${n.slice(3, 6)}-${n.slice(6)}`,
      (n: string) => `${n.slice(0, 3)}.${n.slice(3, 6)}.${n.slice(6)}`,
      (n: string) => ` 1 (${n.slice(0, 3)}) ${n.slice(3, 6)} ${n.slice(6)} `,
    ];
    fc.assert(fc.property(number, fc.integer({ min: 0, max: forms.length - 1 }), (n, f) => agrees(forms[f]!(n))), { numRuns: 5000 });
  });

  test('every country\'s example mobile number, in E.164 and with spaces', () => {
    for (const country of getCountries()) {
      const example = getExampleNumber(country, examples);
      if (!example) continue;
      const e164 = example.number;
      for (const input of [e164, example.formatInternational()]) expect([country, input, agrees(input)]).toEqual([country, input, true]);
    }
  });

  test.each([
    ['+16125550100', '+16125550100'],
    ['(651) 555-0100', '+16515550100'],
    ['+1 612 555 0142', '+16125550142'],
    ['+442079460958', '+442079460958'],
    ['011 44 20 7946 0958', '+442079460958'],
  ])('%s → %s', (input, e164) => {
    expect(readStoredNumber(input)).toEqual({ ok: true, e164 });
  });

  test.each(['+1 000 555 0100', '+10005550100', '612-555-010', 'call me', '+1612555010x', '0044 20 7946 0958'])('%s is refused', (input) => {
    expect(readStoredNumber(input).ok).toBe(false);
  });
});
