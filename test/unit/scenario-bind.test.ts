import { bindConfig, loopbackPath, type Scenario } from '../../shared/cli/scenario.js';
import { testConfig } from '../support/config.js';

/** A replay reaches nothing but its own loopback server: every URL a source can fetch is bound to it. */
describe('binding a scenario to the loopback replay', () => {
  const base = testConfig();
  const config = {
    ...base,
    sources: [
      ...base.sources,
      { id: 'graph', kind: 'm365-graph', tenantId: 'contoso.onmicrosoft.com', clientId: 'app', clientSecret: { env: 'GRAPH_SECRET' }, components: [{ id: 'exo', name: 'Exchange Online', provider: 'Microsoft', match: { service: 'Exchange Online' } }] },
      { id: 'nws', kind: 'nws-alerts', url: 'https://api.weather.gov/alerts/active?area=MN', components: [{ id: 'nws-mn', name: 'NWS 911 outage alerts', provider: 'NWS', match: { fips: ['27053'] } }] },
    ],
  };
  const bound = bindConfig({ config } as unknown as Scenario, 'http://127.0.0.1:4567');

  test.each([
    ['graph', 'url', 'http://127.0.0.1:4567/graph.microsoft.com/v1.0'],
    ['graph', 'tokenUrl', 'http://127.0.0.1:4567/login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token'],
    ['nws', 'url', 'http://127.0.0.1:4567/api.weather.gov/alerts/active?area=MN'],
    ['vendor', 'url', 'http://127.0.0.1:4567/127.0.0.1:1/api/v2/summary.json'],
  ])('%s.%s (a default included) is served by the replay', (id, key, expected) => {
    expect((bound.sources.find((s) => s.id === id) as unknown as Record<string, string>)[key]).toBe(expected);
  });

  test('the run may reach only the replay, whatever a payload links to', () => {
    expect(bound.network).toEqual({ allow: ['127.0.0.1'], onlyAllowed: true });
  });

  test('a URL with a query keeps it: the NWS ?area=MN form is its own upstream', () => {
    expect(loopbackPath('https://api.weather.gov/alerts/active?area=MN')).toBe('/api.weather.gov/alerts/active?area=MN');
  });
});
