import { decodeAzureServiceHealth } from '../../shared/sources/azure-service-health.js';
import { decodeAzureStatusRss } from '../../shared/sources/azure-status-rss.js';
import { badPayload, conformance, fixtureFolder, observe, type Expected } from './support.js';

// ── Conformance over the real captured payloads (../shared/fixtures) ────────────────────────────

const rss = fixtureFolder('azure-status-rss');
const health = fixtureFolder('azure-service-health');

const WEST_US: Partial<Expected> = {
  title: 'Issues connecting to resources in West US', // trailing space trimmed
  url: 'https://azurestatusprodncus.azurewebsites.net/en-us/status/',
  upstreamId: 'issues-connecting-to-resources-in-west-us@2026-07-23T16:29:09.000Z', // guid + pubDate
  startedAt: '2026-07-23T16:29:09.000Z',
};
const AFD_2022 = 'azure-front-door-connectivity-issues@2022-09-07T16:10:40.000Z';
const AFD_2025 = 'azure-front-door-connectivity-issues@2025-10-29T16:00:00.000Z';

const AZURE_RSS: Record<string, Record<string, Expected>> = {
  'feed-2026-07-23-west-us-networking-active.xml': {
    'west-us': { match: { region: 'West US' }, status: 'partial_outage', ...WEST_US }, // item present, no escalating words
    westus: { match: { region: 'westus' }, status: 'partial_outage' }, // ARM spelling meets the category
    'west-us-2': { match: { region: 'West US 2' }, status: 'operational' }, // "West US" ≠ "West US 2"
    'vpn-west-us': { match: { service: 'VPN Gateway', region: 'West US' }, status: 'partial_outage' },
    'vpn-east-us': { match: { service: 'VPN Gateway', region: 'East US' }, status: 'operational' },
    'aks-any': { match: { service: 'azure kubernetes service (aks)' }, status: 'partial_outage' },
    afd: { match: { service: 'Azure Front Door' }, status: 'operational' },
    azure: { status: 'partial_outage' }, // no match: any item
  },
  'feed-2024-07-21-crowdstrike-guidance-no-category.xml': {
    azure: { status: 'partial_outage', title: 'CrowdStrike Falcon agent guidance', upstreamId: 'crowdstrike-falcon-agent-guidance@2024-07-20T12:59:45.000Z' },
    vms: { match: { service: 'Virtual Machines' }, status: 'operational' }, // no category, not in the title
    'vms-east-us': { match: { service: 'Virtual Machines', region: 'East US' }, status: 'operational' },
  },
  'feed-2022-09-07-front-door-connectivity.xml': {
    afd: { match: { service: 'Azure Front Door' }, status: 'partial_outage', title: 'Azure Front Door - Connectivity issues', upstreamId: AFD_2022 }, // title keyword
    'cdn-west-us-2': { match: { service: 'Content Delivery Network', region: 'West US 2' }, status: 'partial_outage' },
    portal: { match: { service: 'Microsoft Azure portal' }, status: 'partial_outage' },
    'norway-east': { match: { region: 'Norway East' }, status: 'partial_outage' }, // not listed, but "Public Non-Regional" is
    'vms-west-us': { match: { service: 'Virtual Machines', region: 'West US' }, status: 'operational' },
  },
  // The same guid as the 2022 incident for a different one: the key (guid + pubDate) differs.
  'edge-feed-2025-10-29-front-door-guid-reused.xml': {
    afd: { match: { service: 'Azure Front Door' }, status: 'partial_outage', upstreamId: AFD_2025, startedAt: '2025-10-29T16:00:00.000Z' },
    'network-uae': { match: { service: 'Network Infrastructure', region: 'UAE North' }, status: 'partial_outage' },
    azure: { status: 'partial_outage', title: 'Azure Front Door - Connectivity issues' }, // URL text "global-web-applications" does not escalate
  },
  'feed-empty-2026-09-25.xml': {
    // Steady state: channel without items = nothing posted = operational (not unknown).
    azure: { status: 'operational' },
    afd: { match: { service: 'Azure Front Door' }, status: 'operational' },
    'west-us': { match: { region: 'West US' }, status: 'operational' },
  },
};

const AVD = { service: 'Windows Virtual Desktop' };
const AVD_EVIDENCE: Partial<Expected> = {
  title: 'Active - Azure Virtual Desktop reduction in the diagnostic data',
  upstreamId: 'GS98-9V8',
  startedAt: '2024-09-17T18:36:24.113Z',
  updatedAt: '2024-10-28T23:50:38.298Z',
};

const AZURE_HEALTH: Record<string, Record<string, Expected>> = {
  'rest-events-list-value-synthetic-active.json': {
    // REST shape { value: [{ id, name, properties }] }; ServiceIssue + Active + Warning; impactMitigationTime 0001-01-01 = not mitigated.
    'vm-sea': { match: { service: 'Virtual Machines', region: 'Southeast Asia' }, status: 'partial_outage', upstreamId: 'GCC46-OUT', title: 'A test from synthetics service', startedAt: '2024-08-12T03:15:00.000Z', updatedAt: '2024-08-12T04:16:00.000Z' },
    redis: { match: { service: 'redis cache', region: 'southeastasia' }, status: 'partial_outage' },
    'by-guid': { match: { service: '83c0c143-1bef-482f-9d84-749914effe8f' }, status: 'partial_outage' },
    'vm-west-us': { match: { service: 'Virtual Machines', region: 'West US' }, status: 'unknown', error: 'no event in the Service Health events of source "vendor" mentions it' },
    all: { status: 'partial_outage' },
  },
  'sdk-event-avd-service-issue-active.json': {
    'avd-east-us': { match: { ...AVD, region: 'East US' }, status: 'partial_outage', ...AVD_EVIDENCE },
    avd: { match: AVD, status: 'partial_outage' },
    'avd-uk-south': { match: { ...AVD, region: 'UK South' }, status: 'unknown', error: 'mentions it' },
  },
  'sdk-events-plannedmaintenance-and-healthadvisory.json': {
    // Two events with the same tracking id: PlannedMaintenance (→ maintenance) and HealthAdvisory (→ degraded); the worst wins.
    'avd-east-us': { match: { ...AVD, region: 'East US' }, status: 'degraded', upstreamId: 'GS98-9V8' },
  },
  'edge-sdk-event-status-resolved-region-active.json': {
    // Top-level Resolved while every region is still Active: contradictory, so blind rather than healthy.
    'avd-east-us': { match: { ...AVD, region: 'East US' }, status: 'unknown', error: 'event GS98-9V8 is Resolved but its region "East US" is still Active' },
    avd: { match: AVD, status: 'unknown', error: 'is Resolved but its region' },
  },
  'sdk-event-app-service-pir-resolved.json': {
    'app-sea': { match: { service: 'App Service', region: 'Southeast Asia' }, status: 'operational', upstreamId: '0NTJ-VV8', title: 'Post Incident Review (PIR) – App Service – Intermittent HTTP 500-level response codes, timeouts, or high latency in Southeast Asia' },
  },
  'sdk-event-no-impact-portal-resolved.json': {
    'portal-weu': { match: { service: 'Microsoft Azure portal', region: 'West Europe' }, status: 'operational', upstreamId: 'GMYD-LB8' }, // a Global impact covers every region
  },
  'sdk-event-plannedmaintenance-ended-resolved.json': {
    'app-sea': { match: { service: 'App Service', region: 'Southeast Asia' }, status: 'operational', upstreamId: 'CTP4-FW8' },
  },
  'sdk-event-plannedmaintenance-in-progress-active.json': {
    'app-sea': { match: { service: 'App Service', region: 'Southeast Asia' }, status: 'maintenance', upstreamId: 'ZMM4-1_0', title: 'Routine Planned Maintenance in Progress for App Service in Southeast Asia' },
    'app-east-us': { match: { service: 'App Service', region: 'East US' }, status: 'unknown', error: 'mentions it' },
  },
};

rss.describe('Azure status RSS conformance (azure-status-rss/)', () => {
  conformance('azure-status-rss', AZURE_RSS, rss.file);

  test('decode keys each item by guid + pubDate, so the reused guid gives two keys', () => {
    const a = decodeAzureStatusRss(rss.file('feed-2022-09-07-front-door-connectivity.xml'));
    const b = decodeAzureStatusRss(rss.file('edge-feed-2025-10-29-front-door-guid-reused.xml'));
    expect([a.map((i) => i.key), b.map((i) => i.key)]).toEqual([[AFD_2022], [AFD_2025]]);
    expect(decodeAzureStatusRss(rss.file('feed-empty-2026-09-25.xml'))).toEqual([]);
  });
});

health.describe('Azure Service Health conformance (azure-service-health/)', () => {
  conformance('azure-service-health', AZURE_HEALTH, health.file);

  test('with unlisted: operational, a component no event mentions reads operational', () => {
    const o = observe('azure-service-health', health.file('sdk-event-plannedmaintenance-in-progress-active.json'), { eus: { service: 'App Service', region: 'East US' } }, { unlisted: 'operational' });
    expect(o.eus).toEqual({ sourceId: 'vendor', componentId: 'eus', status: 'operational', observedAt: '2026-11-24T12:00:00.000Z' });
  });

  test('decode lists every event × service × region (the REST list has the same tracking id twice)', () => {
    expect(decodeAzureServiceHealth(health.file('rest-events-list-value-synthetic-active.json')).map((i) => [i.key, i.status, i.upstreamId])).toEqual([
      ['Virtual Machines / Southeast Asia', 'partial_outage', 'GCC46-OUT'],
      ['Redis Cache / Southeast Asia', 'partial_outage', 'GCC46-OUT'],
    ]);
    expect(decodeAzureServiceHealth(health.file('sdk-event-avd-service-issue-active.json'))).toHaveLength(10);
  });
});

// ── Hand-written cases: Azure status RSS ─────────────────────────────────────────────────────────

const azureFeed = (items: string) =>
  `<?xml version="1.0" encoding="utf-8"?>\r\n<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0">\r\n<channel><title>Azure Status</title>${items}</channel></rss>`;
const azureItem = (title: string, categories: string[] = [], description = '', guid = 'slug', pubDate = 'Thu, 23 Jul 2026 16:29:09 Z') =>
  `<item><guid isPermaLink="false">${guid}</guid><link>https://azure.status.microsoft/en-us/status/</link>${categories.map((c) => `<category>${c}</category>`).join('')}<title>${title}</title><description>${description}</description><pubDate>${pubDate}</pubDate></item>`;

describe('azure-status-rss', () => {
  test('an empty channel is operational; an item present is partial_outage', () => {
    expect(observe('azure-status-rss', azureFeed(''), { a: undefined }).a?.status).toBe('operational');
    expect(observe('azure-status-rss', azureFeed(azureItem('Storage - Elevated latency', ['Storage'])), { a: undefined }).a?.status).toBe('partial_outage');
  });

  test.each([
    ['Virtual Machines - Outage in East US', ''],
    ['Storage - Service unavailable', ''],
    ['Portal', '&lt;p&gt;Customers are &lt;strong&gt;unable to access&lt;/strong&gt; the portal.&lt;/p&gt;'],
    ['SQL - Service disruption', ''],
    ['Entra ID', 'Intermittent unavailability of sign-in'],
  ])('keywords escalate to major_outage: %j %j', (title, description) => {
    expect(observe('azure-status-rss', azureFeed(azureItem(title, [], description)), { a: undefined }).a?.status).toBe('major_outage');
  });

  test('words inside links do not escalate', () => {
    const description = '&lt;a href="https://learn.microsoft.com/outage-guide"&gt;https://learn.microsoft.com/outage-guide&lt;/a&gt;';
    expect(observe('azure-status-rss', azureFeed(azureItem('Front Door - Latency', [], description)), { a: undefined }).a?.status).toBe('partial_outage');
  });

  test('service and region both given must both match; a Non-Regional category matches every region', () => {
    const body = azureFeed(azureItem('Storage issue', ['Storage', 'East US 2']) + azureItem('Entra sign-in issue', ['Microsoft Entra ID', 'Public Non-Regional'], '', 'entra'));
    const o = observe('azure-status-rss', body, {
      s: { service: 'Storage', region: 'eastus2' },
      'storage-east': { service: 'Storage', region: 'East US' },
      e: { service: 'Microsoft Entra ID', region: 'Japan East' },
      r: { region: 'Japan East' },
    });
    expect([o.s?.status, o['storage-east']?.status, o.e?.status, o.r?.status]).toEqual(['partial_outage', 'operational', 'partial_outage', 'partial_outage']);
  });

  test('the worst matching item wins and an item gone on the next poll resolves the component', () => {
    const two = azureFeed(azureItem('Storage latency', ['Storage'], '', 'a') + azureItem('Storage outage', ['Storage'], '', 'b'));
    expect(observe('azure-status-rss', two, { s: { service: 'Storage' } }).s).toMatchObject({ status: 'major_outage', title: 'Storage outage' });
    expect(observe('azure-status-rss', azureFeed(''), { s: { service: 'Storage' } }).s?.status).toBe('operational');
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD (never "empty")', () => {
    test('an HTML page', () => {
      expect(badPayload('azure-status-rss', '<html><body><h1>Service Unavailable</h1><p>oops</body></html>').message).toContain('is not well-formed XML');
    });
    test('an empty body', () => {
      expect(badPayload('azure-status-rss', '   ').message).toBe('source "vendor": the RSS feed is empty, not XML');
    });
    test('XML without a channel', () => {
      expect(badPayload('azure-status-rss', '<?xml version="1.0"?><rss version="2.0"></rss>').message).toContain('has no <rss><channel>');
    });
    test('an encoding the declaration names but Node cannot decode', () => {
      expect(badPayload('azure-status-rss', Buffer.from('<?xml version="1.0" encoding="x-klingon"?><rss/>')).message).toBe('source "vendor": the RSS feed declares an unsupported character encoding "x-klingon"');
    });
  });
});

// ── Hand-written cases: Azure Service Health ─────────────────────────────────────────────────────

const ev = (props: Record<string, unknown>, regions: Array<{ impactedRegion: string; status?: string }> = [{ impactedRegion: 'East US', status: 'Active' }]) => ({
  id: '/subscriptions/x/providers/Microsoft.ResourceHealth/events/AB12-CD3',
  name: 'AB12-CD3',
  type: 'Microsoft.ResourceHealth/events',
  properties: {
    eventType: 'ServiceIssue',
    status: 'Active',
    level: 'Warning',
    title: 'Storage - degraded',
    impactStartTime: '2026-11-24T10:00:00Z',
    impactMitigationTime: '0001-01-01T00:00:00',
    lastUpdateTime: '2026-11-24T11:00:00Z',
    impact: [{ impactedService: 'Storage', impactedRegions: regions.map((r) => ({ ...r, lastUpdateTime: '2026-11-24T11:30:00Z' })) }],
    ...props,
  },
});
/** One event; a Resolved event's region says Resolved too (unless the case is about them disagreeing). */
const health1 = (props: Record<string, unknown>, regions?: Array<{ impactedRegion: string; status?: string }>) => {
  const resolved = String(props.status ?? '').toLowerCase() === 'resolved';
  return observe('azure-service-health', { value: [ev(props, regions ?? [{ impactedRegion: 'East US', status: resolved ? 'Resolved' : 'Active' }])] }, { s: { service: 'Storage', region: 'East US' } }).s;
};

describe('azure-service-health', () => {
  test.each([
    [{ status: 'Resolved' }, 'operational'],
    [{ status: 'resolved', eventType: 'PlannedMaintenance' }, 'operational'],
    [{ eventType: 'PlannedMaintenance' }, 'maintenance'],
    [{ eventType: 'HealthAdvisory' }, 'degraded'],
    [{ eventType: 'SecurityAdvisory', level: 'Error' }, 'degraded'],
    [{ level: 'Informational' }, 'degraded'],
    [{ level: 'Warning' }, 'partial_outage'],
    [{ level: 'Error' }, 'major_outage'],
    [{ level: 'Critical' }, 'major_outage'],
    [{ level: 'error', eventType: 'serviceissue', status: 'ACTIVE' }, 'major_outage'], // enums compared case-insensitively
  ])('%j → %s', (props, status) => {
    const o = health1(props);
    expect(o?.status).toBe(status);
    expect(o?.error).toBeUndefined();
  });

  test.each([
    [{ eventType: 'RCA' }, 'event AB12-CD3 in East US: unrecognised eventType "RCA"'],
    [{ level: 'Severe' }, 'event AB12-CD3 in East US: unrecognised level "Severe"'],
    [{ level: null, eventLevel: null }, 'unrecognised level "(none)"'],
    [{ status: 'Pending' }, 'event AB12-CD3: unrecognised status "Pending"'],
  ])('%j → unknown with an error', (props, error) => {
    const o = health1(props);
    expect(o?.status).toBe('unknown');
    expect(o?.error).toContain(error);
    expect(o?.error).toMatch(/^component "s" \(service "Storage", region "East US"\): .* in the Service Health events of source "vendor"$/);
  });

  test('a region mitigated first reads operational while the event is still Active elsewhere', () => {
    const regions = [{ impactedRegion: 'East US', status: 'Resolved' }, { impactedRegion: 'West US', status: 'Active' }];
    const o = observe('azure-service-health', { value: [ev({}, regions)] }, { e: { service: 'Storage', region: 'East US' }, w: { service: 'Storage', region: 'westus' }, any: { service: 'Storage' } });
    expect([o.e?.status, o.w?.status, o.any?.status]).toEqual(['operational', 'partial_outage', 'partial_outage']);
  });

  test('0001-01-01 times are "not set", never a date; region lastUpdateTime is the update time', () => {
    const o = health1({ impactStartTime: '0001-01-01T00:00:00' });
    expect(o?.startedAt).toBeUndefined();
    expect(o?.updatedAt).toBe('2026-11-24T11:30:00.000Z');
    expect(health1({})?.startedAt).toBe('2026-11-24T10:00:00.000Z');
  });

  test('REST list, bare array, one REST event and one SDK (flattened) event read the same', () => {
    const rest = ev({ level: 'Error' });
    const flat = { id: rest.id, name: rest.name, ...rest.properties };
    for (const body of [{ value: [rest] }, [rest], rest, flat, [flat]]) expect(observe('azure-service-health', body, { s: { service: 'Storage' } }).s?.status).toBe('major_outage');
  });

  test('an empty list leaves components unknown by default (not documented as "nothing posted")', () => {
    const o = observe('azure-service-health', { value: [] }, { s: { service: 'Storage' } }).s;
    expect(o?.status).toBe('unknown');
    expect(o?.error).toBe('component "s" (service "Storage"): no event in the Service Health events of source "vendor" mentions it');
  });

  describe('bad payloads throw SOURCE.BAD_PAYLOAD naming the source and the field', () => {
    test('an ARM error body', () => {
      expect(badPayload('azure-service-health', JSON.stringify({ error: { code: 'AuthorizationFailed', message: 'The client does not have authorization' } })).message).toBe(
        'source "vendor": the events body is an ARM error: AuthorizationFailed: The client does not have authorization',
      );
    });
    test('a field of the wrong type names its path', () => {
      expect(badPayload('azure-service-health', JSON.stringify({ value: [ev({ impact: 'Storage' })] })).message).toBe(
        'source "vendor": event value.0 does not match the Azure Service Health event schema at properties.impact: Invalid input: expected array, received string',
      );
    });
    test('JSON that is not an event', () => {
      expect(badPayload('azure-service-health', '{"hello": "world"}').message).toContain('is not an Azure Service Health event');
    });
    test('not JSON', () => {
      expect(badPayload('azure-service-health', '<html>login</html>').message).toMatch(/^source "vendor": the events body is not JSON/);
    });
  });
});
