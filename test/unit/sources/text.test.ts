import { DialtoneError } from '../../../shared/domain/errors.js';
import { asArray, decodeText, decodeXmlEntities, htmlToText, parseRfc822Date, parseXml, xmlAttr, xmlChild, xmlText } from '../../../shared/sources/text.js';

function thrown(fn: () => unknown): DialtoneError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DialtoneError);
    expect((err as DialtoneError).code).toBe('SOURCE.BAD_PAYLOAD');
    return err as DialtoneError;
  }
  throw new Error('expected SOURCE.BAD_PAYLOAD');
}

describe('decodeText', () => {
  const text = '<?xml version="1.0"?><a>Zürich – café</a>';
  test.each([
    ['utf-8', Buffer.from(text, 'utf8')],
    ['utf-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])],
    ['utf-16le BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['utf-16be BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]).swap16()],
    ['utf-16le, no BOM', Buffer.from(text, 'utf16le')],
    ['utf-16be, no BOM', Buffer.from(text, 'utf16le').swap16()],
    ['a string with a BOM', `\uFEFF${text}`],
  ])('%s', (_label, body) => {
    expect(decodeText(body)).toBe(text);
  });

  test('the XML declaration names the charset (ISO-8859-1 and windows-1252)', () => {
    expect(decodeText(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>café</a>', 'latin1'))).toBe('<?xml version="1.0" encoding="ISO-8859-1"?><a>café</a>');
    expect(decodeText(Buffer.from([...Buffer.from("<?xml version='1.0' encoding='windows-1252'?><a>"), 0x93, 0x68, 0x69, 0x94, ...Buffer.from('</a>')]))).toContain('<a>“hi”</a>');
  });

  test('an explicit charset wins over the declaration, and a BOM over both', () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="utf-8"?><a>é</a>', 'latin1');
    expect(decodeText(latin1, { charset: 'iso-8859-1' })).toContain('<a>é</a>');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>é</a>', 'utf8')]);
    expect(decodeText(bom, { charset: 'iso-8859-1' })).toBe('<a>é</a>');
  });

  test('a declaration saying UTF-16 on ASCII bytes is ignored (the bytes say otherwise)', () => {
    expect(decodeText(Buffer.from('<?xml version="1.0" encoding="UTF-16"?><a/>'))).toBe('<?xml version="1.0" encoding="UTF-16"?><a/>');
  });

  test('invalid bytes and unknown labels are errors, never U+FFFD', () => {
    expect(thrown(() => decodeText(Buffer.from([0x3c, 0x61, 0xff, 0x3e]), { what: 'the feed' })).message).toBe('the feed is not valid utf-8 text');
    expect(thrown(() => decodeText(Buffer.from('<a/>'), { charset: 'x-nope' })).message).toBe('body declares an unsupported character encoding "x-nope"');
  });
});

describe('parseXml', () => {
  test('elements, attributes, repeated elements, CDATA verbatim and entities decoded once', () => {
    const doc = parseXml(
      '<?xml version="1.0"?><rss v="2.0"><item><title><![CDATA[a &amp; <b>]]></title><d>x &amp;lt; y &#233;&#x2019; &nbsp;</d><c>1</c><c>2</c><g p="1 &amp; 2">t</g><e/></item></rss>',
    );
    const it = xmlChild(doc.rss, 'item');
    expect(xmlText(xmlChild(it, 'title'))).toBe('a &amp; <b>');
    expect(xmlText(xmlChild(it, 'd'))).toBe('x &lt; y é’ &nbsp;'); // &amp;lt; → &lt; (one pass); unknown named entities stay literal
    expect(asArray(xmlChild(it, 'c')).map(xmlText)).toEqual(['1', '2']);
    expect(xmlAttr(xmlChild(it, 'g'), 'p')).toBe('1 & 2');
    expect(xmlText(xmlChild(it, 'g'))).toBe('t');
    expect(xmlText(xmlChild(it, 'e'))).toBe('');
    expect(xmlAttr(doc.rss, 'v')).toBe('2.0');
    expect(asArray(undefined)).toEqual([]);
  });

  test('a billion-laughs DOCTYPE is never expanded', () => {
    const entities = '<!ENTITY a "aaaaaaaaaa">' + Array.from({ length: 12 }, (_, i) => `<!ENTITY e${i} "${`&${i === 0 ? 'a' : `e${i - 1}`};`.repeat(10)}">`).join('');
    const started = performance.now();
    const doc = parseXml(`<?xml version="1.0"?><!DOCTYPE r [${entities}]><r><x>&e11;</x></r>`);
    expect(performance.now() - started).toBeLessThan(500);
    expect(xmlText(xmlChild(doc.r, 'x'))).toBe('&e11;');
  });

  test.each([
    ['', 'body is empty, not XML'],
    ['<!DOCTYPE html><html><body><hr></body></html>', 'body is not well-formed XML (line 1: '],
    ['{"json": true}', 'starts with "{"json": true}"'],
    ['plain text', 'is not well-formed XML'],
  ])('%j is an error', (text, message) => {
    expect(thrown(() => parseXml(text)).message).toContain(message);
  });

  test('decodeXmlEntities leaves out-of-range references alone', () => {
    expect(decodeXmlEntities('&#0; &#xD800; &#x110000; &#65;')).toBe('&#0; &#xD800; &#x110000; A');
  });
});

describe('parseRfc822Date', () => {
  test.each([
    ['Fri, 10 Feb 2023 15:48:00 PST', '2023-02-10T23:48:00.000Z'],
    ['Mon, 10 Jul 2023 07:40:00 PDT', '2023-07-10T14:40:00.000Z'],
    ['Thu, 23 Jul 2026 16:29:09 Z', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 16:29:09 GMT', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 16:29:09 UT', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 11:29:09 CDT', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 12:29:09 EDT', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 09:29:09 MST', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 09:29:09 -0700', '2026-07-23T16:29:09.000Z'],
    ['Thu, 23 Jul 2026 18:29:09 +02:00', '2026-07-23T16:29:09.000Z'],
    ['23 Jul 26 16:29 GMT', '2026-07-23T16:29:00.000Z'], // no weekday, 2-digit year, no seconds
    ['  Sat, 1 january 2000 00:00:00 est  ', '2000-01-01T05:00:00.000Z'],
  ])('%j → %s', (input, iso) => {
    expect(parseRfc822Date(input)).toBe(iso);
  });

  test.each(['', 'yesterday', 'Thu, 23 Jul 2026 16:29:09 XYZ', 'Thu, 31 Feb 2026 16:29:09 GMT', 'Thu, 23 Foo 2026 16:29:09 GMT', 'Thu, 23 Jul 2026 25:00:00 GMT', '2026-07-23T16:29:09Z'])(
    '%j → undefined (never guessed)',
    (input) => {
      expect(parseRfc822Date(input)).toBeUndefined();
    },
  );
});

describe('htmlToText', () => {
  test('tags dropped, entities decoded, whitespace collapsed', () => {
    expect(htmlToText('<p><strong>Impact:</strong>&nbsp;customers&rsquo; VMs</p>\r\n<p>&#8211; &amp; more</p><script>x()</script>')).toBe('Impact: customers’ VMs – & more');
  });
});
