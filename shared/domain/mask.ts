import type { Channel } from './records.js';

/**
 * Masking for logs (no phone number, email address or secret in logs). Phones keep
 * the country code and the last 4 digits, emails the first letter and the domain: enough to tell
 * recipients apart in an incident review, not enough to contact them. Every other character is
 * kept, so a masked phone is exactly as long as the original (SMS length checks still hold).
 */

/** E.164 country codes of two digits (ITU-T E.164 Annex); 1 and 7 have one, all others three. */
const TWO_DIGIT_COUNTRY_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66',
  '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98',
]);

function countryCodeLength(digits: string): number {
  if (digits.startsWith('1') || digits.startsWith('7')) return 1;
  return TWO_DIGIT_COUNTRY_CODES.has(digits.slice(0, 2)) ? 2 : 3;
}

/**
 * '+16125550123' → '+1******0123'; '(612) 555-0123' → '(***) ***-0123'. Separators are kept;
 * a '+' number keeps its country code. Short numbers show at most half their digits.
 */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const keepHead = phone.startsWith('+') ? countryCodeLength(digits) : 0;
  const rest = digits.length - keepHead;
  const keepTail = Math.min(4, Math.floor(rest / 2));
  let index = 0;
  return phone.replace(/\d/g, (d) => {
    const i = index++;
    return i < keepHead || i >= digits.length - keepTail ? d : '*';
  });
}

/** 'jane.doe@county.mn.us' → 'j***@county.mn.us'. Anything without a domain is masked whole. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return '***';
  return `${email.slice(0, Math.min(at, 1))}***${email.slice(at)}`;
}

export function maskAddress(channel: Channel, address: string): string {
  switch (channel) {
    case 'sms':
      return maskPhone(address);
    case 'email':
      return maskEmail(address);
  }
}

// Emails first: an SMS-gateway address such as 6125550123@vtext.com must be masked as an email.
const EMAIL = /[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}/gu;

// Earlier forms win at the same position, so a well-formed number is never merged with the
// digits that follow it in the text.
const PHONE_FORMS = [
  // E.164: +16125550123
  String.raw`\+[1-9]\d{6,14}`,
  // NANP written with +1: +1 (612) 555-0123, +1 612.555.0123
  String.raw`\+1[ .-]?(?:\(\d{3}\)[ .-]?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}`,
  // NANP written out: (612) 555-0123, 612-555-0123, 612.555.0123, 1-612-555-0123
  String.raw`(?:1[ .-]?)?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}`,
  // NANP run together: valid area code and exchange only, so epoch seconds and counters survive
  String.raw`1?[2-9]\d{2}[2-9]\d{6}`,
  // Other international numbers with separators: +44 20 7946 0958
  String.raw`\+[2-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}`,
];
// Never start or end inside a longer run of digits.
const PHONE = new RegExp(String.raw`(?<![\d+])(?:${PHONE_FORMS.join('|')})(?!\d)`, 'g');
/** E.164 numbers have at least 7 digits; fewer is a score or a count, not a phone. */
const MIN_PHONE_DIGITS = 7;

/** One key per contact point whatever its spelling: NANP numbers without the leading 1, emails lower-cased. */
export function contactKey(contact: string): string {
  if (contact.includes('@')) return contact.trim().toLowerCase();
  const digits = contact.replace(/\D/g, '');
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
}

/**
 * Masks every phone number and email address in free text (log lines, error messages), except
 * the published contact points in `keep` (a PSAP's public fallback number, the notifier's desk):
 * those exist to be passed on, and a notice that hides them is useless. Keys: contactKey().
 */
export function redact(text: string, keep: ReadonlySet<string> = new Set()): string {
  return text
    .replace(EMAIL, (email) => (keep.has(contactKey(email)) ? email : maskEmail(email)))
    .replace(PHONE, (phone) =>
      phone.replace(/\D/g, '').length < MIN_PHONE_DIGITS || keep.has(contactKey(phone)) ? phone : maskPhone(phone),
    );
}
