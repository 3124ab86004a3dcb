import { sourceSchema } from '../../../shared/config/schema.js';
import { vendorSourceSchemas } from '../../../shared/config/sources-vendors.js';
import { DialtoneError } from '../../../shared/domain/errors.js';
import { vendorDecoders, vendorParsers } from '../../../shared/sources/vendors.js';

const KINDS = vendorSourceSchemas.map((s) => s.shape.kind.value);

describe('vendor registry', () => {
  test('every vendor kind has a body parser and a config-free decoder, and nothing else is registered', () => {
    expect(Object.keys(vendorParsers).sort()).toEqual([...KINDS].sort());
    expect(Object.keys(vendorDecoders).sort()).toEqual([...KINDS].sort());
  });

  test.each(KINDS)('%s: a decoder throws SOURCE.BAD_PAYLOAD on junk, never a plain Error', (kind) => {
    const decode = vendorDecoders[kind as keyof typeof vendorDecoders];
    expect(() => decode(Buffer.from('<html>502 Bad Gateway</html>'))).toThrow(DialtoneError);
    expect(() => decode(Buffer.from([0xc3, 0x28]))).toThrow(DialtoneError);
  });
});

describe('vendor source config', () => {
  const parse = (kind: string, match: unknown, extra: object = {}) =>
    sourceSchema.safeParse({ id: 's', kind, url: 'https://status.example.com/x', components: [{ id: 'c', name: 'C', provider: 'P', match }], ...extra });

  test.each([
    ['statuspage-incidents', { id: 'abc' }],
    ['statuspage-incidents', { page: true }],
    ['aws-rss', { service: 'ec2', region: 'us-east-1' }],
    ['aws-rss', { service: 'route53' }],
    ['aws-currentevents', { service: 'lambda', region: 'us-gov-west-1' }],
    ['azure-status-rss', { service: 'Azure Front Door' }],
    ['azure-status-rss', { region: 'West US 2' }],
    ['azure-status-rss', {}],
    ['azure-service-health', { service: 'App Service', region: 'Southeast Asia' }],
    ['gcp-incidents', { product: 'Cloud Run', location: 'us-central1' }],
    ['statusio', { name: 'Git Operations', container: 'AWS' }],
    ['statusio', { page: true }],
    ['slack-status', { service: 'Messaging' }],
    ['slack-status', { page: true }],
    ['firehydrant', { id: 'abc' }],
  ])('%s accepts %j', (kind, match) => {
    expect(parse(kind, match).success).toBe(true);
  });

  test.each([
    ['aws-rss', { service: 'EC2', region: 'us-east-1' }, 'components.0.match.service'],
    ['aws-rss', { service: 'ec2', region: 'US East (N. Virginia)' }, 'components.0.match.region'],
    ['aws-currentevents', { region: 'us-east-1' }, 'components.0.match.service'],
    ['gcp-incidents', { location: 'us-central1' }, 'components.0.match.product'],
    ['azure-status-rss', { services: 'x' }, 'components.0.match'],
    ['slack-status', { name: 'Messaging' }, 'components.0.match'],
  ])('%s rejects %j at %s', (kind, match, path) => {
    const r = parse(kind, match);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  test('azure-service-health: unlisted defaults to unknown and accepts operational', () => {
    const r = parse('azure-service-health', { service: 'App Service' });
    expect(r.success && 'unlisted' in r.data ? r.data.unlisted : undefined).toBe('unknown');
    expect(parse('azure-service-health', {}, { unlisted: 'operational' }).success).toBe(true);
    expect(parse('azure-service-health', {}, { unlisted: 'maybe' }).success).toBe(false);
  });
});
