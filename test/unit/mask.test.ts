import { contactKey, maskAddress, maskEmail, maskPhone, redact } from '../../shared/domain/mask.js';

describe('maskPhone', () => {
  test.each([
    ['+16125550123', '+1******0123'],
    ['+447946095812', '+44******5812'],
    ['+353123456789', '+353*****6789'],
    ['+79161234567', '+7******4567'],
    ['(612) 555-0123', '(***) ***-0123'],
    ['612-555-0123', '***-***-0123'],
    // short inputs never show more than half their digits
    ['+1234', '+1**4'],
    ['12', '*2'],
  ])('%s → %s', (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
    expect(masked).toHaveLength(phone.length);
  });
});

describe('maskEmail', () => {
  test.each([
    ['jane.doe@county.mn.us', 'j***@county.mn.us'],
    ['f@fcc.example', 'f***@fcc.example'],
    ['6125550123@vtext.com', '6***@vtext.com'],
    ['@county.mn.us', '***@county.mn.us'],
    ['not-an-email', '***'],
  ])('%s → %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });
});

describe('maskAddress', () => {
  test.each([
    ['sms', '+16125550123', '+1******0123'],
    ['email', 'jane.doe@county.mn.us', 'j***@county.mn.us'],
  ] as const)('%s %s → %s', (channel, address, masked) => {
    expect(maskAddress(channel, address)).toBe(masked);
  });
});

describe('redact', () => {
  test.each([
    ['E.164', 'sent to +16125550123 ok', 'sent to +1******0123 ok'],
    ['E.164 then a count', 'to +16125550123 3 times', 'to +1******0123 3 times'],
    ['dashes', 'call 612-555-0123.', 'call ***-***-0123.'],
    ['parentheses', 'call (612) 555-0123', 'call (***) ***-0123'],
    ['parentheses, no space', 'call (612)555-0123', 'call (***)***-0123'],
    ['dots', 'call 612.555.0123', 'call ***.***.0123'],
    ['spaces', 'call 612 555 0123', 'call *** *** 0123'],
    ['leading 1', 'call 1-612-555-0123', 'call *-***-***-0123'],
    ['+1 written out', 'call +1 (612) 555-0123', 'call +1 (***) ***-0123'],
    ['+1 with dashes', 'call +1-612-555-0123', 'call +1-***-***-0123'],
    ['run together', 'call 6125550123', 'call ******0123'],
    ['run together with 1', 'call 16125550123', 'call *******0123'],
    ['international with spaces', 'call +44 20 7946 0958', 'call +44 ** **** 0958'],
    ['email', 'to jane.doe@county.mn.us.', 'to j***@county.mn.us.'],
    ['email in brackets', 'To: <Jane.Doe@County.MN.us>', 'To: <J***@County.MN.us>'],
    ['SMS-gateway email', 'to 6125550123@vtext.com', 'to 6***@vtext.com'],
    ['several', '+16125550123, 651-555-0199 and ops@dialtone.example', '+1******0123, ***-***-0199 and o***@dialtone.example'],
    ['in JSON', '{"to":"+16125550123","cc":"a.b@c.org"}', '{"to":"+1******0123","cc":"a***@c.org"}'],
  ])('masks %s', (_name, text, redacted) => {
    expect(redact(text)).toBe(redacted);
  });

  test.each([
    ['epoch seconds', 'at 1732451234'],
    ['epoch milliseconds', 'at 1732451234567'],
    ['ISO time', '2026-03-01T12:28:00.000Z'],
    ['versions', '@aws-sdk/client-sns@3.1169.0'],
    ['UUID', 'id 0a1b2c3d-e123-4567-89ab-cdef01234567'],
    ['a small signed number', 'delta +5 10 20'],
    ['FIPS codes', 'counties 27053, 27123'],
    ['already masked', 'to +1******0123 and j***@county.mn.us'],
  ])('leaves %s alone', (_name, text) => {
    expect(redact(text)).toBe(text);
  });

  test('is idempotent', () => {
    const once = redact('+16125550123 (612) 555-0123 jane.doe@county.mn.us');
    expect(redact(once)).toBe(once);
  });
});

describe('published contact points stay readable', () => {
  const keep = new Set(['+16125550100', 'watch-desk@dialtone.example'].map(contactKey));
  test.each([
    ['a fallback number in any spelling', 'call 612-555-0100 or +16125550100', 'call 612-555-0100 or +16125550100'],
    ['the notifier desk', 'reply to watch-desk@dialtone.example', 'reply to watch-desk@dialtone.example'],
    ['a recipient number next to it is still masked', 'public 612-555-0100, to +16515550198', 'public 612-555-0100, to +1******0198'],
  ])('%s', (_name, input, output) => {
    expect(redact(input, keep)).toBe(output);
  });
});
