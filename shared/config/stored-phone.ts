import type { PhoneResult } from './phone.js';

/**
 * A roster number read back on the delivery path, without libphonenumber-js (its code and metadata
 * are 117 KB, in every Lambda that delivers). Numbers reach the DynamoDB roster through
 * `dialtone roster add`, which validates them with libphonenumber-js and stores E.164 (phone.ts);
 * this reads them back leniently, as toE164 would for the forms people write:
 * - spaces, dashes, dots and parentheses are dropped; 011 is the US exit code (011 44 … = +44 …);
 *   10 digits are a US number (+1), 11 digits starting with 1 are +1 too; otherwise the number
 *   must start with + (E.164, 7 to 15 digits);
 * - a +1 number has ten digits and an area code starting with 2–9 (the North American plan).
 * It accepts every number toE164 accepts, with the same E.164 (test/unit/stored-phone.test.ts
 * holds them together), and a few that libphonenumber-js would refuse (an area code not in
 * service): an SMS to one fails at SNS, is retried, and reaches ops as a dead letter.
 */
export function readStoredNumber(input: string): PhoneResult {
  const text = input.trim();
  const plus = text.startsWith('+');
  const digits = (plus ? text.slice(1) : text).replace(/[\s().-]/g, '');
  const hint = 'write it in E.164, e.g. +16125550100';
  if (!/^\d+$/.test(digits)) return { ok: false, error: `not a phone number; ${hint}` };
  let e164: string;
  if (plus) e164 = `+${digits}`;
  // 011 is how a US phone dials abroad: 011 47 … is +47 … (libphonenumber-js reads it so too).
  else if (digits.startsWith('011')) e164 = `+${digits.slice(3)}`;
  else if (digits.length === 10) e164 = `+1${digits}`;
  else if (digits.length === 11 && digits.startsWith('1')) e164 = `+${digits}`;
  else return { ok: false, error: `not a valid US phone number; ${hint}` };
  if (e164.startsWith('+1')) return /^\+1[2-9]\d{9}$/.test(e164) ? { ok: true, e164 } : { ok: false, error: `not a valid +1 phone number; ${hint}` };
  return /^\+[2-9]\d{6,14}$/.test(e164) ? { ok: true, e164 } : { ok: false, error: `not a valid phone number; ${hint}` };
}
