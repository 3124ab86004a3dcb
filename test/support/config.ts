import { validateConfig } from '../../shared/config/load.js';
import type { MonitoringConfig } from '../../shared/config/schema.js';
import { buildModel, type Model } from '../../shared/domain/model.js';

/**
 * A small two-state world for domain tests: vendor routing feeds Hennepin (MN) and Maricopa (AZ);
 * Ramsey and Anoka neighbour/back up Hennepin, Pinal neighbours Maricopa; an office suite is watched too.
 */
export function testConfig(overrides: Partial<Record<keyof MonitoringConfig, unknown>> = {}): MonitoringConfig {
  const raw = {
    notifier: { name: 'Watch desk', phone: '+1 555 010 0199', email: 'desk@dialtone.example' },
    thresholds: { openAfter: 2, closeAfter: 2, blindAfter: 3 },
    escalation: { downMinutes: 30, minPsaps: 3, minStates: 3, noAckMinutes: 600, updateEveryMinutes: 120 },
    // the domain tests see every audience at "suspected"; routing tests override it
    corroboration: { hearAt: { 'fcc-liaison': 'suspected' } },
    sources: [
      {
        id: 'vendor',
        kind: 'statuspage',
        url: 'http://127.0.0.1:1/api/v2/summary.json',
        components: [
          { id: 'routing', name: 'NG911 routing', provider: 'Meridian NG911 Inc.', match: { name: 'Routing' } },
          { id: 'ali', name: 'ALI', provider: 'Meridian NG911 Inc.', match: { name: 'ALI' } },
        ],
      },
      { id: 'office', kind: 'statuspage', url: 'http://127.0.0.1:1/office.json', components: [{ id: 'mail', name: 'Mail', provider: 'Contoso', match: { page: true } }] },
      { id: 'carrier', kind: 'statuspage', url: 'http://127.0.0.1:1/carrier.json', components: [{ id: 'sr', name: 'Selective routers', provider: 'Prairie', match: { page: true } }] },
    ],
    services: [
      { id: 'hennepin', name: 'Hennepin County 911', kind: 'psap', fips: '27053', county: 'Hennepin County', state: 'MN', timeZone: 'America/Chicago', dependsOn: [{ component: 'routing', effect: 'Down' }, { component: 'ali', effect: 'Partial' }], neighbours: ['ramsey'], backup: 'anoka', fallbackNumbers: ['+16125550100'] },
      { id: 'maricopa', name: 'Maricopa Region 911', kind: 'psap', fips: '04013', county: 'Maricopa County', state: 'AZ', timeZone: 'America/Phoenix', dependsOn: [{ component: 'routing' }], neighbours: ['pinal'], fallbackNumbers: ['+16025550142'] },
      { id: 'ramsey', name: 'Ramsey County ECC', kind: 'psap', fips: '27123', state: 'MN', dependsOn: [{ component: 'sr' }] },
      { id: 'anoka', name: 'Anoka County 911', kind: 'psap', fips: '27003', state: 'MN', dependsOn: [{ component: 'sr' }] },
      { id: 'pinal', name: 'Pinal County 911', kind: 'psap', fips: '04021', state: 'AZ', dependsOn: [{ component: 'sr' }] },
      { id: 'hennepin-text', name: 'Hennepin text-to-911', kind: 'text-to-911', psap: 'hennepin', fips: '27053', state: 'MN', dependsOn: [{ component: 'routing', effect: 'Partial' }] },
    ],
    recipients: [
      { id: 'ramsey-floor', name: 'Ramsey floor', role: 'psap', psap: 'ramsey', channels: { sms: '+16515550198', email: 'floor@ramsey.example' } },
      { id: 'anoka-floor', name: 'Anoka floor', role: 'psap', psap: 'anoka', channels: { sms: '+17635550187' } },
      { id: 'pinal-floor', name: 'Pinal floor', role: 'psap', psap: 'pinal', channels: { sms: '+15205550166' } },
      { id: 'hennepin-floor', name: 'Hennepin floor', role: 'psap', psap: 'hennepin', channels: { sms: '+16125550111' } },
      { id: 'hennepin-em', name: 'Hennepin EM', role: 'county-manager', jurisdictions: { fips: ['27053'] }, channels: { email: 'em@hennepin.example' } },
      { id: 'az-state', name: 'Arizona 911 office', role: 'county-manager', jurisdictions: { states: ['AZ'] }, channels: { email: 'az@az.example' } },
      { id: 'ramsey-em', name: 'Ramsey EM', role: 'county-manager', jurisdictions: { fips: ['27123'] }, channels: { email: 'em@ramsey.example' } },
      { id: 'fcc', name: 'FCC liaison', role: 'fcc-liaison', channels: { email: 'liaison@fcc.example' } },
      { id: 'ops', name: 'Ops', role: 'ops', channels: { email: 'ops@dialtone.example' } },
    ],
    ...overrides,
  };
  const result = validateConfig(raw);
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.problems)}`);
  return result.config;
}

export function testModel(overrides: Parameters<typeof testConfig>[0] = {}): Model {
  return buildModel(testConfig(overrides));
}
