import { decodeAwsCurrentEvents } from '../../shared/sources/aws-currentevents.js';
import { decodeAwsRss } from '../../shared/sources/aws-rss.js';
import { badPayload, conformance, fixtureFolder, observe, type Expected } from './support.js';

// ── Conformance over the real captured payloads (../shared/fixtures) ────────────────────────────

const rss = fixtureFolder('aws-rss');
const json = fixtureFolder('aws-public-json');

const RDS_RESOLVED: Partial<Expected> = {
  title: 'Service is operating normally: [RESOLVED] Connectivity issues affecting some instances',
  url: 'http://status.aws.amazon.com/',
  upstreamId: 'http://status.aws.amazon.com/#rds-us-east-1_1676072880',
  updatedAt: '2023-02-10T23:48:00.000Z', // Fri, 10 Feb 2023 15:48:00 PST
};
const BILLING_OPEN: Partial<Expected> = {
  title: 'Informational message: Increased error rates when accessing Cost Explorer, Budgets, and Cost and Usage Reports',
  upstreamId: 'http://status.aws.amazon.com/#billingconsole_1675376364',
  startedAt: '2023-02-02T22:19:24.000Z', // Thu, 02 Feb 2023 14:19:24 PST
  updatedAt: '2023-02-02T22:19:24.000Z',
};

const AWS_RSS: Record<string, Record<string, Expected>> = {
  'all-rss-2023-02-resolved-plus-open-informational.xml': {
    'rds-use1': { match: { service: 'rds', region: 'us-east-1' }, status: 'operational', ...RDS_RESOLVED }, // newest item [RESOLVED]
    rds: { match: { service: 'rds' }, status: 'operational' }, // every region of rds
    billing: { match: { service: 'billingconsole' }, status: 'degraded', ...BILLING_OPEN }, // global key, "Informational message:"
    'ec2-use1': { match: { service: 'ec2', region: 'us-east-1' }, status: 'operational', title: undefined }, // not posted
    'rds-usw2': { match: { service: 'rds', region: 'us-west-2' }, status: 'operational', upstreamId: undefined },
    everything: { status: 'degraded', ...BILLING_OPEN }, // no match: the worst key of the feed
  },
  'all-rss-2023-02-empty-channel-no-items.xml': {
    // No <item> and no XML declaration: the documented "nothing posted", not unknown.
    'ec2-use1': { match: { service: 'ec2', region: 'us-east-1' }, status: 'operational' },
    billing: { match: { service: 'billingconsole' }, status: 'operational' },
    everything: { status: 'operational' },
  },
};

const ME_CENTRAL: Partial<Expected> = {
  title: 'Multiple services: Increased Error Rates',
  url: 'https://health.aws.amazon.com/health/status',
  upstreamId: 'arn:aws:health:me-central-1::event/MULTIPLE_SERVICES/AWS_MULTIPLE_SERVICES_OPERATIONAL_ISSUE/AWS_MULTIPLE_SERVICES_OPERATIONAL_ISSUE_5E6B8_EF2498889B5',
  startedAt: '2026-03-01T12:51:25.000Z', // date "1772369485" (epoch s as a string)
  updatedAt: '2026-04-30T07:25:54.000Z', // newest event_log timestamp 1777533954
};
const ME_SOUTH: Partial<Expected> = {
  upstreamId: 'arn:aws:health:me-south-1::event/MULTIPLE_SERVICES/AWS_MULTIPLE_SERVICES_OPERATIONAL_ISSUE/AWS_MULTIPLE_SERVICES_OPERATIONAL_ISSUE_E6426_01AD72B4E1E',
  startedAt: '2026-03-02T05:56:27.000Z',
};

const AWS_CURRENTEVENTS: Record<string, Record<string, Expected>> = {
  'currentevents-2026-03-two-open-events.utf8.json': {
    'ec2-mec1': { match: { service: 'ec2', region: 'me-central-1' }, status: 'major_outage', ...ME_CENTRAL }, // impacted_services current "3"
    'ec2-mes1': { match: { service: 'ec2', region: 'me-south-1' }, status: 'major_outage', ...ME_SOUTH },
    's3-any': { match: { service: 's3' }, status: 'major_outage' }, // both regions; not s3rtc-…
    event: { match: { service: 'multipleservices', region: 'me-central-1' }, status: 'major_outage', ...ME_CENTRAL }, // the event's own key, status "3"
    route53: { match: { service: 'route53' }, status: 'operational', title: 'Multiple services: Increased Error Rates' }, // listed, current "0" (recovered; max "2")
    cloudfront: { match: { service: 'cloudfront' }, status: 'operational' },
    'ec2-use1': { match: { service: 'ec2', region: 'us-east-1' }, status: 'operational', upstreamId: undefined }, // no open event
    everything: { status: 'major_outage' },
  },
  // Served bytes: UTF-16BE with BOM FE FF; decoded by BOM before JSON.parse.
  'currentevents-2026-03-first-event-only.utf16be-bom.json': {
    'ec2-mec1': { match: { service: 'ec2', region: 'me-central-1' }, status: 'major_outage', ...ME_CENTRAL },
    'lambda-mec1': { match: { service: 'lambda', region: 'me-central-1' }, status: 'major_outage' },
    'ec2-mes1': { match: { service: 'ec2', region: 'me-south-1' }, status: 'operational' }, // the second event was cut off
    route53: { match: { service: 'route53' }, status: 'operational' },
  },
};

rss.describe('AWS Health Dashboard RSS conformance (aws-rss/)', () => {
  conformance('aws-rss', AWS_RSS, rss.file);

  test('decode lists the newest item per service-region key', () => {
    const items = decodeAwsRss(rss.file('all-rss-2023-02-resolved-plus-open-informational.xml'));
    expect(items.map((i) => [i.key, i.status])).toEqual([
      ['rds-us-east-1', 'operational'],
      ['billingconsole', 'degraded'],
    ]);
    expect(decodeAwsRss(rss.file('all-rss-2023-02-empty-channel-no-items.xml'))).toEqual([]);
  });
});

json.describe('AWS public currentevents conformance (aws-public-json/)', () => {
  conformance('aws-currentevents', AWS_CURRENTEVENTS, json.file);

  test('the UTF-16BE capture decodes to the same first event as the UTF-8 one', () => {
    const be = decodeAwsCurrentEvents(json.file('currentevents-2026-03-first-event-only.utf16be-bom.json'));
    const utf8 = decodeAwsCurrentEvents(json.file('currentevents-2026-03-two-open-events.utf8.json'));
    expect(be).toEqual(utf8.slice(0, be.length));
    expect(be).toHaveLength(1 + 140); // the event + its 140 impacted services
  });

  test('decode: of the 140 services me-central-1 lists, 135 read major_outage and 5 have recovered', () => {
    const items = decodeAwsCurrentEvents(json.file('currentevents-2026-03-two-open-events.utf8.json')).filter((i) => i.key.endsWith('me-central-1') || !/-[a-z]{2}-[a-z]+-\d$/.test(i.key));
    const count = (s: string) => items.filter((i) => i.status === s && i.upstreamId === ME_CENTRAL.upstreamId).length;
    expect([count('major_outage'), count('operational')]).toEqual([1 + 135, 5]);
  });
});

// ── Hand-written cases ───────────────────────────────────────────────────────────────────────────

const feed = (items: string, decl = '<?xml version="1.0" encoding="UTF-8"?>') =>
  `${decl}<rss version="2.0"><channel><title>AWS</title><lastBuildDate>Mon, 13 Feb 2023 00:05:51 PST</lastBuildDate>${items}</channel></rss>`;
const rssItem = (title: string, guidKey: string, epoch: number, pubDate: string, description = '') =>
  `<item><title><![CDATA[${title}]]></title><link>http://status.aws.amazon.com/</link><pubDate>${pubDate}</pubDate><guid isPermaLink="false">http://status.aws.amazon.com/#${guidKey}_${epoch}</guid><description><![CDATA[${description}]]></description></item>`;

describe('aws-rss', () => {
  const one = (title: string, description = '') =>
    observe('aws-rss', feed(rssItem(title, 'ec2-us-east-1', 1676072880, 'Fri, 10 Feb 2023 15:48:00 PST', description)), { c: { service: 'ec2', region: 'us-east-1' } }).c;

  test.each([
    ['Service is operating normally: Connectivity restored', 'operational'],
    ['Informational message: [RESOLVED] Increased API error rates', 'operational'],
    ['Resolved: Increased API error rates', 'operational'],
    ['Informational message: Increased API error rates', 'degraded'],
    ['Performance issue: Elevated latencies', 'degraded'],
    ['Service disruption: Instances unreachable', 'partial_outage'],
    ['Service impact: Instances unreachable', 'partial_outage'],
    ['Service disruption: Increased error rates across multiple services', 'major_outage'],
    ['Service disruption: Power event affecting multiple Availability Zones', 'major_outage'],
  ])('title %j → %s', (title, status) => {
    const o = one(title);
    expect(o?.status).toBe(status);
    expect(o?.error).toBeUndefined();
    expect(o?.title).toBe(title);
  });

  test('escalation also reads the description', () => {
    expect(one('Service disruption: Increased error rates', 'We are seeing impact to multiple AWS services in the US-EAST-1 Region.')?.status).toBe('major_outage');
    expect(one('Informational message: Increased error rates', 'multiple services')?.status).toBe('degraded'); // only disruptions escalate
  });

  test('an unrecognised title prefix is unknown with an error naming source, component and title', () => {
    const o = one('Heads up: something odd');
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe('component "c" (service "ec2" in us-east-1): unrecognised title prefix in "Heads up: something odd" in the RSS feed of source "vendor"');
  });

  test('the newest item per key decides, whatever the document order; the episode starts at its first bad update', () => {
    const items = [
      rssItem('Service disruption: Instances unreachable', 'ec2-us-east-1', 1676000000, 'Fri, 10 Feb 2023 03:33:20 PST'),
      rssItem('Service is operating normally: [RESOLVED] Instances unreachable', 'ec2-us-east-1', 1676010000, 'Fri, 10 Feb 2023 06:20:00 PST'),
      rssItem('Informational message: Elevated errors', 'ec2-us-east-1', 1676020000, 'Fri, 10 Feb 2023 09:06:40 PST'),
      rssItem('Service disruption: Elevated errors', 'ec2-us-east-1', 1676030000, 'Fri, 10 Feb 2023 11:53:20 PST'),
    ];
    const o = observe('aws-rss', feed([items[3], items[1], items[0], items[2]].join('')), { c: { service: 'ec2', region: 'us-east-1' } }).c;
    expect(o).toMatchObject({
      status: 'partial_outage',
      title: 'Service disruption: Elevated errors',
      upstreamId: 'http://status.aws.amazon.com/#ec2-us-east-1_1676020000', // the episode's first update
      startedAt: '2023-02-10T17:06:40.000Z',
      updatedAt: '2023-02-10T19:53:20.000Z',
    });
    // A later [RESOLVED] update clears it (resolution by the newest item).
    const resolved = observe('aws-rss', feed(items.join('') + rssItem('Service is operating normally: [RESOLVED] Elevated errors', 'ec2-us-east-1', 1676040000, 'Fri, 10 Feb 2023 14:40:00 PST')), { c: { service: 'ec2', region: 'us-east-1' } }).c;
    expect(resolved?.status).toBe('operational');
  });

  test('PDT and Z dates are normalised to UTC; an unknown zone falls back to the guid epoch', () => {
    const body = feed(
      rssItem('Performance issue: a', 'lambda-us-west-2', 1689000000, 'Mon, 10 Jul 2023 07:40:00 PDT') + rssItem('Performance issue: b', 'sqs-us-west-2', 1689000000, 'Mon, 10 Jul 2023 07:40:00 XYZ'),
    );
    const o = observe('aws-rss', body, { l: { service: 'lambda', region: 'us-west-2' }, s: { service: 'sqs' } });
    expect(o.l?.updatedAt).toBe('2023-07-10T14:40:00.000Z');
    expect(o.s?.updatedAt).toBe('2023-07-10T14:40:00.000Z'); // 1689000000
  });

  test('match: a region picks one key; no region picks the global key and every region, not other services with the same prefix', () => {
    const body = feed(
      rssItem('Service disruption: x', 'ec2-us-east-1', 1, 'Fri, 10 Feb 2023 15:48:00 PST') +
        rssItem('Performance issue: y', 'ec2-eu-west-1', 1, 'Fri, 10 Feb 2023 15:48:00 PST') +
        rssItem('Service disruption: z', 'ec2instanceconnect-us-west-2', 1, 'Fri, 10 Feb 2023 15:48:00 PST') +
        rssItem('Performance issue: r', 'route53', 1, 'Fri, 10 Feb 2023 15:48:00 PST'),
    );
    const o = observe('aws-rss', body, { a: { service: 'ec2', region: 'eu-west-1' }, b: { service: 'ec2' }, c: { service: 'route53' }, d: { service: 'ec2', region: 'us-west-2' } });
    expect([o.a?.status, o.b?.status, o.c?.status, o.d?.status]).toEqual(['degraded', 'partial_outage', 'degraded', 'operational']);
  });

  test('an XML declaration naming ISO-8859-1 is honoured', () => {
    const text = feed(rssItem('Performance issue: Zürich café', 'ec2-eu-central-2', 1, 'Fri, 10 Feb 2023 15:48:00 PST'), '<?xml version="1.0" encoding="ISO-8859-1"?>');
    expect(observe('aws-rss', Buffer.from(text, 'latin1'), { c: { service: 'ec2' } }).c?.title).toBe('Performance issue: Zürich café');
  });

  test('a billion-laughs body is not expanded: entities stay literal and parsing is instant', () => {
    const lol = '<!ENTITY lol "lol">' + Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('');
    const body = `<?xml version="1.0"?><!DOCTYPE rss [${lol}]><rss><channel><item><title>Performance issue: &lol9;</title><guid>http://status.aws.amazon.com/#ec2-us-east-1_1676072880</guid></item></channel></rss>`;
    const started = performance.now();
    const o = observe('aws-rss', body, { c: { service: 'ec2' } }).c;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(o?.title).toBe('Performance issue: &lol9;');
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source', () => {
    test('an HTML error page', () => {
      expect(badPayload('aws-rss', '<!DOCTYPE html><html><head><title>503</title></head><body><hr></body></html>').message).toContain('is not well-formed XML');
    });
    test('an empty body', () => {
      expect(badPayload('aws-rss', '').message).toBe('source "vendor": the RSS feed is empty, not XML');
    });
    test('JSON', () => {
      expect(badPayload('aws-rss', '{"items": []}').message).toContain('starts with "{"items": []}"');
    });
    test('XML without an RSS channel is not "empty"', () => {
      expect(badPayload('aws-rss', '<?xml version="1.0"?><feed><title>x</title></feed>').message).toBe('source "vendor": the RSS feed has no <rss><channel> (root element: <feed>)');
      expect(badPayload('aws-rss', '<rss version="2.0"/>').message).toContain('has no <rss><channel>');
    });
    test('bytes that are not UTF-8', () => {
      expect(badPayload('aws-rss', Buffer.from([0x3c, 0x72, 0xc3, 0x28, 0x3e])).message).toBe('source "vendor": the RSS feed is not valid utf-8 text');
    });
  });
});

describe('aws-currentevents', () => {
  const event = (status: string | number, impacted: Record<string, string | number> = {}, extra: object = {}) => ({
    arn: 'arn:aws:health:us-east-1::event/EC2/X/1',
    date: '1772369485',
    status,
    service: 'ec2-us-east-1',
    service_name: 'Amazon Elastic Compute Cloud',
    summary: 'Increased Error Rates',
    event_log: [{ summary: 's', message: 'm', status: 1, timestamp: 1772369485 }, { summary: 's', message: 'm', status: 2, timestamp: '1772370000' }],
    impacted_services: Object.fromEntries(Object.entries(impacted).map(([k, current]) => [k, { service_name: k, current, max: '3' }])),
    ...extra,
  });

  test.each([
    ['0', 'operational'],
    ['1', 'degraded'],
    ['2', 'partial_outage'],
    ['3', 'major_outage'],
    [3, 'major_outage'],
  ])('status %j → %s', (code, status) => {
    const o = observe('aws-currentevents', [event(code)], { c: { service: 'ec2', region: 'us-east-1' } }).c;
    expect(o).toMatchObject({ status, upstreamId: 'arn:aws:health:us-east-1::event/EC2/X/1', startedAt: '2026-03-01T12:51:25.000Z', updatedAt: '2026-03-01T13:00:00.000Z' });
    expect(o?.error).toBeUndefined();
  });

  test('an unrecognised code is unknown with an error naming the field', () => {
    const o = observe('aws-currentevents', [event('7')], { c: { service: 'ec2' } }).c;
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe('component "c" (service "ec2"): unrecognised status "7" at [0].status in currentevents of source "vendor"');
    const inner = observe('aws-currentevents', [event('3', { 'sqs-us-east-1': 'x' })], { c: { service: 'sqs', region: 'us-east-1' } }).c;
    expect(inner?.error).toContain('at [0].impacted_services.sqs-us-east-1.current');
  });

  test('an impacted service reads its own current code, not the event status', () => {
    const o = observe('aws-currentevents', [event('3', { 'sqs-us-east-1': '0', 'sns-us-east-1': '2' })], { sqs: { service: 'sqs', region: 'us-east-1' }, sns: { service: 'sns' } });
    expect([o.sqs?.status, o.sns?.status]).toEqual(['operational', 'partial_outage']);
  });

  test('[] (all clear) makes every component operational: an event that ends resolves by disappearance', () => {
    const o = observe('aws-currentevents', '[]', { c: { service: 'ec2', region: 'us-east-1' } }).c;
    expect(o).toEqual({ sourceId: 'vendor', componentId: 'c', status: 'operational', observedAt: '2026-11-24T12:00:00.000Z' });
  });

  test.each([
    ['utf-16le', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
    ['utf-16be', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]).swap16()],
    ['utf-8 with BOM', (t: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(t, 'utf8')])],
  ])('decodes %s by its BOM', (_label, encode) => {
    expect(observe('aws-currentevents', encode(JSON.stringify([event('2')])), { c: { service: 'ec2' } }).c?.status).toBe('partial_outage');
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source and the field', () => {
    test('UTF-16 without a BOM read as UTF-8 is not JSON', () => {
      expect(badPayload('aws-currentevents', Buffer.from(JSON.stringify([event('2')]), 'utf16le')).message).toMatch(/^source "vendor": currentevents is not JSON/);
    });
    test('an object instead of the array', () => {
      expect(badPayload('aws-currentevents', '{"events": []}').message).toMatch(/^source "vendor": currentevents does not match the AWS currentevents schema at \(root\): /);
    });
    test('an event without an arn', () => {
      const { arn: _a, ...noArn } = event('2');
      expect(badPayload('aws-currentevents', JSON.stringify([noArn])).message).toContain('schema at 0.arn:');
    });
    test('an HTML page', () => {
      expect(badPayload('aws-currentevents', '<html><body>Access denied</body></html>').message).toContain('starts with "<html><body>Access denied');
    });
  });
});
