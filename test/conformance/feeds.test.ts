import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Status } from '../../shared/domain/status.js';
import { decodeAgencyFeed, parseAgencyFeed } from '../../shared/sources/agency-feed.js';
import { AT, badPayload, billionLaughs, byComponent, externalEntity, fixtureFolder, sourceOf } from './feeds-support.js';

/**
 * Generic agency feeds (kinds `rss`, `atom`): every item through the 911 classifier, the newest
 * decisive item decides. Real vendor feeds serve as the negative corpus (they post outages of
 * their own services, never of 911: none may read as a 911 outage); hand-written agency feeds
 * check each rule.
 */

const read = (xml: string, matches: Record<string, unknown> = { psap: undefined }, extra: Record<string, unknown> = {}, kind: 'rss' | 'atom' = 'rss') =>
  byComponent(parseAgencyFeed(Buffer.from(xml), sourceOf(kind, matches, extra), AT));

// ── Real feeds that mention outages but never 911 ────────────────────────────────────────────

const CORPUS: Record<string, string[]> = {
  'aws-rss': ['all-rss-2023-02-empty-channel-no-items.xml', 'all-rss-2023-02-resolved-plus-open-informational.xml'],
  'azure-status-rss': [
    'edge-feed-2025-10-29-front-door-guid-reused.xml',
    'feed-2022-09-07-front-door-connectivity.xml',
    'feed-2024-07-21-crowdstrike-guidance-no-category.xml',
    'feed-2026-07-23-west-us-networking-active.xml',
    'feed-empty-2026-09-25.xml',
  ],
  'statuspage-feeds': [
    'githubstatus-history-atom-2025-05-29-maintenance-in-progress.xml',
    'githubstatus-history-atom-2026-07-09-open-incident-update.xml',
    'githubstatus-history-atom-2026-08-22-all-resolved.xml',
  ],
};

describe.each(Object.entries(CORPUS))('real %s feeds read by the generic kinds: never a 911 outage', (folder, files) => {
  const fx = fixtureFolder(folder);
  fx.describe(folder, () => {
    test.each(files)('%s', (file) => {
      expect(readdirSync(fx.dir)).toContain(file);
      const kind = path.extname(file) === '.xml' && folder === 'statuspage-feeds' ? 'atom' : 'rss';
      const items = decodeAgencyFeed(fx.file(file));
      expect(items.every((i) => i.status === 'operational' && i.name.includes('[none;'))).toBe(true);
      const o = byComponent(parseAgencyFeed(fx.file(file), sourceOf(kind, { psap: undefined }, { maxAgeHours: 2160 }), AT)).psap;
      expect(o).toMatchObject({ status: 'operational', sourceId: 'feed' });
      expect(o?.title).toBeUndefined();
    });
  });
});

// ── Hand-written agency feeds ────────────────────────────────────────────────────────────────

interface Post {
  title: string;
  text?: string;
  /** RFC-822 (RSS) */
  date?: string;
  link?: string;
  guid?: string;
}

const rss = (...posts: Post[]) => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<title>Anoka County Sheriff's Office - News</title><link>https://www.anokacountymn.gov/sheriff</link><description>News</description>
${posts
  .map(
    (p, i) => `<item><title><![CDATA[${p.title}]]></title>
<link>${p.link ?? `https://www.anokacountymn.gov/news/${i}`}</link>
<guid isPermaLink="false">${p.guid ?? `news-${i}`}</guid>
${p.date ? `<pubDate>${p.date}</pubDate>` : ''}
<description>${(p.text ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</description></item>`,
  )
  .join('\n')}
</channel></rss>`;

const atom = (...posts: (Post & { iso?: string })[]) => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:psap.example.gov,2026:news</id><title type="text">Dakota 911</title><updated>2026-11-24T11:00:00Z</updated>
${posts
  .map(
    (p, i) => `<entry><id>tag:psap.example.gov,2026:${i}</id><title type="html">${p.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</title>
<link rel="alternate" href="https://psap.example.gov/posts/${i}"/><link rel="self" href="https://psap.example.gov/api/${i}"/>
${p.iso ? `<updated>${p.iso}</updated>` : ''}<content type="html">${(p.text ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;')}</content></entry>`,
  )
  .join('\n')}
</feed>`;

const OUTAGE: Post = {
  title: 'ALERT: 911 outage in Anoka County',
  text: '<p>We are currently <b>unable to receive 911 calls</b>. In an emergency call 763-555-0142.</p>',
  date: 'Tue, 24 Nov 2026 03:10:00 CST',
};
const RESTORED: Post = { title: 'UPDATE: 911 service restored', text: '911 service has been restored. Thank you for your patience.', date: 'Tue, 24 Nov 2026 04:45:00 CST' };
const WEATHER: Post = { title: 'Winter Storm Warning tonight', text: 'Stay off the roads. Call 911 only for emergencies.', date: 'Tue, 24 Nov 2026 05:00:00 CST' };
const TEXT_DOWN: Post = { title: 'Text-to-911 unavailable', text: 'Text-to-911 is currently unavailable. Please call 911.', date: 'Tue, 24 Nov 2026 05:30:00 CST' };

const ROWS: [string, string, Status, string | undefined][] = [
  ['outage post → major_outage', rss(OUTAGE), 'major_outage', 'ALERT: 911 outage in Anoka County'],
  ['restoration after the outage → operational', rss(RESTORED, OUTAGE), 'operational', 'UPDATE: 911 service restored'],
  ['newest decisive item decides, by date not by order', rss(OUTAGE, RESTORED), 'operational', 'UPDATE: 911 service restored'],
  ['an unrelated newer post does not hide the outage', rss(WEATHER, OUTAGE), 'major_outage', 'ALERT: 911 outage in Anoka County'],
  ['text-to-911 down → partial_outage', rss(TEXT_DOWN, RESTORED, OUTAGE), 'partial_outage', 'Text-to-911 unavailable'],
  ['only unrelated posts → operational', rss(WEATHER), 'operational', undefined],
  ['an empty channel is "nothing posted" → operational', rss(), 'operational', undefined],
  ['older than maxAgeHours → not read', rss({ ...OUTAGE, date: 'Fri, 20 Nov 2026 03:10:00 CST' }), 'operational', undefined],
  // An outage post holds for holdHours (12) unless a newer post supersedes it.
  ['an outage post 11 h old still holds', rss({ ...OUTAGE, date: 'Mon, 23 Nov 2026 19:00:00 CST' }), 'major_outage', 'ALERT: 911 outage in Anoka County'],
  ['an outage post 13 h old nobody closed no longer holds', rss({ ...OUTAGE, date: 'Mon, 23 Nov 2026 17:00:00 CST' }), 'operational', 'outage post of 2026-11-23T23:00:00.000Z no longer holds (12 h): ALERT: 911 outage in Anoka County'],
  ['undated items count as recent, in feed order', rss({ title: '911 is back up' }, { title: '911 lines are down' }), 'operational', '911 is back up'],
  ['Atom with html titles and alternate links', atom({ title: '<b>9-1-1</b> lines are down', iso: '2026-11-24T10:00:00-06:00' }), 'major_outage', '9-1-1 lines are down'],
];

describe('rss/atom: agency feed rows', () => {
  test.each(ROWS)('%s', (_name, xml, status, title) => {
    const kind = xml.includes('<feed') ? 'atom' : 'rss';
    const o = read(xml, { psap: undefined }, {}, kind).psap;
    expect(o?.status).toBe(status);
    expect(o?.error).toBeUndefined();
    if (title) expect(o?.title).toBe(title);
  });

  test('evidence comes from the deciding item: link, guid, dates in UTC (CST zone name)', () => {
    expect(read(rss(WEATHER, OUTAGE)).psap).toMatchObject({
      url: 'https://www.anokacountymn.gov/news/1',
      upstreamId: 'news-1',
      startedAt: '2026-11-24T09:10:00.000Z',
      updatedAt: '2026-11-24T09:10:00.000Z',
    });
    expect(read(atom({ title: '911 is down', iso: '2026-11-24T10:00:00-06:00' }), { psap: undefined }, {}, 'atom').psap?.url).toBe('https://psap.example.gov/posts/0');
  });

  test('keywords keep only the items naming the component (a state board covering several PSAPs)', () => {
    const board = rss(
      { title: 'Anoka County: 911 service restored', date: 'Tue, 24 Nov 2026 04:45:00 CST' },
      { title: 'Isanti County 911 is down', text: 'Call 763-555-0100.', date: 'Tue, 24 Nov 2026 04:00:00 CST' },
      { title: 'Anoka County 911 outage', date: 'Tue, 24 Nov 2026 03:00:00 CST' },
    );
    const o = read(board, { anoka: { keywords: ['Anoka'] }, isanti: { keywords: ['isanti'] }, chisago: { keywords: ['Chisago'] } });
    expect(o.anoka?.status).toBe('operational');
    expect(o.isanti?.status).toBe('major_outage');
    expect(o.chisago?.status).toBe('operational');
  });

  test('either kind reads either format; RSS 1.0 (RDF) too', () => {
    expect(read(atom({ title: '911 is down' }), { psap: undefined }, {}, 'rss').psap?.status).toBe('major_outage');
    const rdf = `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://x.gov"><title>x</title></channel>
      <item rdf:about="https://x.gov/1"><title>911 lines are down countywide</title><dc:date>2026-11-24T10:00:00Z</dc:date></item></rdf:RDF>`;
    expect(read(rdf).psap).toMatchObject({ status: 'major_outage', url: 'https://x.gov/1', updatedAt: '2026-11-24T10:00:00.000Z' });
  });

  test('decoder: every item with the classifier verdict', () => {
    const items = decodeAgencyFeed(rss(WEATHER, OUTAGE));
    expect(items.map((i) => [i.key, i.status])).toEqual([
      ['news-0', 'operational'],
      ['news-1', 'major_outage'],
    ]);
    expect(items[1]?.name).toContain('[down: ');
    expect(items[1]?.name).toContain('unable to receive 911 calls');
  });

  test('not a feed: clear errors, never an empty feed', () => {
    const s = sourceOf('rss', { psap: undefined });
    expect(badPayload(() => parseAgencyFeed(Buffer.from('<rss version="2.0"></rss>'), s, AT)).message).toBe('source "feed": RSS feed has no <channel>');
    expect(badPayload(() => parseAgencyFeed(Buffer.from('<!DOCTYPE html><html><body>Down for maintenance</body></html>'), s, AT)).message).toContain('source "feed": ');
    expect(badPayload(() => parseAgencyFeed(Buffer.from(''), s, AT)).message).toContain('empty');
    expect(badPayload(() => parseAgencyFeed(Buffer.from([0xff, 0xfe, 0x00, 0xd8]), s, AT)).message).toContain('source "feed": ');
  });
});

describe('rss/atom: hostile XML', () => {
  test('an entity bomb is not expanded and returns quickly', () => {
    const bomb = billionLaughs((lol) => `<rss version="2.0"><channel><title>t</title><item><title>911 is down ${lol}</title><description>${lol}</description></item></channel></rss>`);
    const started = performance.now();
    const items = decodeAgencyFeed(bomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(items[0]?.title).toBe('911 is down &lol9;');
    expect(JSON.stringify(items)).not.toContain('lollol');
  });

  test('an external entity (XXE) is refused, never resolved', () => {
    const xxe = externalEntity((e) => `<rss version="2.0"><channel><title>t</title><item><title>${e}</title></item></channel></rss>`);
    const started = performance.now();
    const err = badPayload(() => parseAgencyFeed(Buffer.from(xxe), sourceOf('rss', { psap: undefined }), AT));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(err.message).toMatch(/^source "feed": feed could not be read as XML \(External entities are not supported\)/);
  });
});
