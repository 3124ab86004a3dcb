import { parsePhoneNumberWithError, type CountryCode } from 'libphonenumber-js';

/**
 * Phone numbers at the boundary (roster CLI, DynamoDB roster entries): parsed and validated with
 * libphonenumber-js (number length and leading digits per country), returned in E.164, the only
 * form SNS Publish takes. A number without a country code is read as a US number.
 */
export type PhoneResult = { ok: true; e164: string } | { ok: false; error: string };

export function toE164(input: string, defaultCountry: CountryCode = 'US'): PhoneResult {
  const text = input.trim();
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(text, defaultCountry);
  } catch (err) {
    return { ok: false, error: `not a phone number (${(err as Error).message.toLowerCase().replaceAll('_', ' ')}); write it in E.164, e.g. +16125550100` };
  }
  if (!parsed.isValid()) return { ok: false, error: `not a valid ${parsed.country ?? `+${parsed.countryCallingCode}`} phone number; write it in E.164, e.g. +16125550100` };
  return { ok: true, e164: parsed.number };
}
