import { readdirSync } from 'node:fs';
import { decodeAgencyFeed } from '../../shared/sources/agency-feed.js';
import { decodeStatuspageHistory, parseStatuspageHistory } from '../../shared/sources/statuspage-history.js';
import { AT, badPayload, byComponent, expectRow, fixtureFolder, sourceOf, type Expected } from './feeds-support.js';

/**
 * Statuspage /history.atom (kind `statuspage-history`): the newest <strong>marker</strong> of each
 * entry is its state; a component is in trouble while any matching entry is open.
 */

const feeds = fixtureFolder('statuspage-feeds');

const OPEN_ACTIONS: Partial<Expected> = {
  title: 'Delays starting Actions runs',
  url: 'https://www.githubstatus.com/incidents/cstx3v63mklm',
  upstreamId: 'tag:www.githubstatus.com,2005:Incident/30837849',
  startedAt: '2026-07-09T06:01:43.000Z',
  updatedAt: '2026-07-09T06:01:43.000Z',
};
const CODESPACES_MAINTENANCE: Partial<Expected> = {
  title: 'Codespaces Scheduled Maintenance',
  url: 'https://www.githubstatus.com/incidents/67vdd3b7d1zq',
  upstreamId: 'tag:www.githubstatus.com,2005:Incident/25233647',
};

const HISTORY: Record<string, { components: Record<string, Expected>; entries: number; open: Record<string, string> }> = {
  'githubstatus-history-atom-2026-07-09-open-incident-update.xml': {
    components: {
      page: { status: 'degraded', ...OPEN_ACTIONS }, // newest entry's newest marker is "Update": still open
      actions: { match: { keywords: ['Actions'] }, status: 'degraded', ...OPEN_ACTIONS },
      pages: { match: { keywords: ['Pages'] }, status: 'operational', title: undefined }, // "Incident with Pages" is Resolved
      copilot: { match: { keywords: ['copilot'] }, status: 'operational' },
      transactions: { match: { keywords: ['Transactions'] }, status: 'operational' }, // whole words: "Actions" ≠ "Transactions"
    },
    entries: 25,
    open: { 'Delays starting Actions runs': 'degraded' },
  },
  'githubstatus-history-atom-2025-05-29-maintenance-in-progress.xml': {
    components: {
      page: { status: 'maintenance', ...CODESPACES_MAINTENANCE }, // "In progress" maintenance; every incident Resolved
      codespaces: { match: { keywords: ['Codespaces'] }, status: 'maintenance', ...CODESPACES_MAINTENANCE },
      actions: { match: { keywords: ['Actions'] }, status: 'operational' },
      git: { match: { keywords: ['Git Operations'] }, status: 'operational' }, // a phrase as keyword
    },
    entries: 25,
    open: { 'Codespaces Scheduled Maintenance': 'maintenance' },
  },
  'githubstatus-history-atom-2026-08-22-all-resolved.xml': {
    components: {
      page: { status: 'operational', title: undefined },
      actions: { match: { keywords: ['Actions'] }, status: 'operational' },
      webhooks: { match: { keywords: ['Webhooks'] }, status: 'operational' },
    },
    entries: 25,
    open: {},
  },
};

feeds.describe('statuspage-history conformance over captured payloads', () => {
  test('every file in fixtures/statuspage-feeds is in the table', () => {
    expect(readdirSync(feeds.dir).sort()).toEqual(Object.keys(HISTORY).sort());
  });

  describe.each(Object.entries(HISTORY))('%s', (file, table) => {
    test.each(Object.entries(table.components))('component %s', (id, expected) => {
      const matches = Object.fromEntries(Object.entries(table.components).map(([c, e]) => [c, e.match]));
      expectRow(byComponent(parseStatuspageHistory(feeds.file(file), sourceOf('statuspage-history', matches), AT))[id], expected);
    });
    test('decoder: every entry, only the expected ones open', () => {
      const items = decodeStatuspageHistory(feeds.file(file));
      expect(items).toHaveLength(table.entries);
      const open = Object.fromEntries(items.filter((i) => i.status !== 'operational').map((i) => [i.title, i.status]));
      expect(open).toEqual(table.open);
      expect(items.every((i) => i.error === undefined)).toBe(true);
    });
  });

  test('why not the generic atom kind: its 911 classifier reads a vendor incident as nothing', () => {
    const file = feeds.file('githubstatus-history-atom-2026-07-09-open-incident-update.xml');
    // Every entry, open or not, is "none" to the classifier (no 911 subject): the generic kind would read operational.
    expect(decodeAgencyFeed(file).every((i) => i.name.includes('[none;'))).toBe(true);
    expect(byComponent(parseStatuspageHistory(file, sourceOf('statuspage-history', { page: undefined }), AT)).page?.status).toBe('degraded');
  });
});

// ── Hand-written entries: one per marker row ─────────────────────────────────────────────────

const entry = (title: string, ...markers: string[]) => `<entry>
  <id>tag:status.example.com,2005:Incident/${title.length}</id>
  <published>2026-11-24T10:00:00Z</published><updated>2026-11-24T11:00:00Z</updated>
  <link rel="alternate" type="text/html" href="https://status.example.com/incidents/${title.length}"/>
  <title>${title}</title>
  <content type="html">${markers.map((m) => `&lt;p&gt;&lt;small&gt;Nov 24&lt;/small&gt;&lt;br&gt;&lt;strong&gt;${m}&lt;/strong&gt; - text&lt;/p&gt;`).join('')}</content>
</entry>`;
const feed = (...entries: string[]) => `<?xml version="1.0" encoding="UTF-8"?><feed xml:lang="en-US" xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>Vendor Status - Incident History</title><updated>2026-11-24T11:00:00Z</updated>${entries.join('')}</feed>`;
const page = (xml: string) => byComponent(parseStatuspageHistory(Buffer.from(xml), sourceOf('statuspage-history', { page: undefined }), AT)).page;

describe('statuspage-history: marker rows', () => {
  test.each([
    ['Investigating', 'degraded'],
    ['Identified', 'degraded'],
    ['Update', 'degraded'],
    ['Monitoring', 'degraded'],
    ['In progress', 'maintenance'],
    ['Verifying', 'maintenance'],
    ['Scheduled', 'operational'],
    ['Resolved', 'operational'],
    ['Completed', 'operational'],
    ['Postmortem', 'operational'],
    ['Escalated', 'unknown'],
  ] as const)('newest marker %s → %s', (marker, status) => {
    const o = page(feed(entry('CAD dispatch API errors', marker, 'Investigating')));
    expect(o?.status).toBe(status);
    if (status === 'unknown') expect(o?.error).toContain('unrecognised status marker "Escalated"');
  });

  test('any open entry counts, the worst decides; an empty history is "nothing posted"', () => {
    expect(page(feed(entry('Resolved thing', 'Resolved'), entry('Older but open', 'Monitoring')))?.title).toBe('Older but open');
    expect(page(feed(entry('Maint', 'In progress'), entry('Incident', 'Update')))?.status).toBe('degraded');
    expect(page(feed())?.status).toBe('operational');
  });

  test('an entry without any marker is unknown, naming the entry', () => {
    const xml = feed(entry('Odd entry')).replace('<content type="html"></content>', '<content type="html">&lt;p&gt;no marker&lt;/p&gt;</content>');
    expect(page(xml)).toMatchObject({ status: 'unknown', error: expect.stringContaining('entry "Odd entry"') });
  });

  test('a maintenance still open with an "Update" marker is maintenance', () => {
    const xml = feed(entry('DB maintenance', 'Update', 'In progress', 'Scheduled')).replace('text&lt;/p&gt;', 'THIS IS A SCHEDULED EVENT Nov 24, 10:00 - 12:00 UTC&lt;/p&gt;');
    expect(page(xml)?.status).toBe('maintenance');
  });

  test('not a feed → clear error', () => {
    expect(badPayload(() => parseStatuspageHistory(Buffer.from('{"page":{}}'), sourceOf('statuspage-history', { page: undefined }), AT)).message).toContain('source "feed"');
  });
});
