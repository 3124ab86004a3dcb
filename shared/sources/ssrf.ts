import { lookup as dnsLookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { DialtoneError } from '../domain/errors.js';

/**
 * SSRF guard: a source URL comes from config (or a redirect chosen by the upstream), so it must
 * not reach the metadata service, loopback or the VPC unless the operator listed the address.
 */

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

type Range = readonly [network: string, prefix: number, cls: Exclude<AddressClass, 'public' | 'invalid'>];

const V4_RANGES: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network": 0.0.0.0 reaches the local host on Linux
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['100.64.0.0', 10, 'private'], // carrier-grade NAT shared space
  ['169.254.0.0', 16, 'link-local'], // includes the 169.254.169.254 instance metadata service
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255 broadcast
];

const V6_RANGES: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private'], // unique local
  ['fec0::', 10, 'private'], // deprecated site-local, still routable inside some networks
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];

/** NAT64 (64:ff9b::/96) embeds an IPv4 address; DNS64 on IPv6-only subnets hands these out for every IPv4 host. */
function nat64(range: Range): Range {
  const [a = 0, b = 0, c = 0, d = 0] = range[0].split('.').map(Number);
  return [`64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`, 96 + range[1], range[2]];
}

// One list per class so refusals can say why. BlockList also matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against IPv4 ranges.
const CLASSES = new Map<AddressClass, BlockList>();
for (const [ranges, family] of [
  [V4_RANGES, 'ipv4'],
  [V6_RANGES, 'ipv6'],
  [V4_RANGES.map(nat64), 'ipv6'],
] as const) {
  for (const [network, prefix, cls] of ranges) {
    const list = CLASSES.get(cls) ?? new BlockList();
    list.addSubnet(network, prefix, family);
    CLASSES.set(cls, list);
  }
}

function parse(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  const address = ip.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, ''); // URL brackets, IPv6 zone id
  const version = isIP(address);
  return version === 0 ? undefined : { address, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function classifyAddress(ip: string): AddressClass {
  const parsed = parse(ip);
  if (!parsed) return 'invalid';
  for (const [cls, list] of CLASSES) if (list.check(parsed.address, parsed.family)) return cls;
  return 'public';
}

/**
 * True when connecting to `ip` must be refused: not public and not listed exactly in `allow`
 * (with `only`, public ones too unless listed). Invalid input fails closed.
 */
export function isForbiddenAddress(ip: string, allow: readonly string[], only = false): boolean {
  const parsed = parse(ip);
  if (!parsed) return true;
  if (classifyAddress(parsed.address) === 'public' && !only) return false;
  const allowed = new BlockList();
  for (const entry of allow) {
    const a = parse(entry);
    if (a) allowed.addAddress(a.address, a.family);
  }
  return !allowed.check(parsed.address, parsed.family);
}

function refusal(where: string, address: string, only = false): DialtoneError {
  const cls = classifyAddress(address);
  return new DialtoneError(
    'SOURCE.FORBIDDEN_ADDRESS',
    cls === 'public' && only
      ? `${where}: refused to connect to ${address} (public address; this run reaches only network.allow)`
      : `${where}: refused to connect to ${address} (${cls} address; add it to network.allow to permit it)`,
    { url: where, address },
  );
}

function nameRefusal(where: string, hostname: string): DialtoneError {
  return new DialtoneError('SOURCE.FORBIDDEN_ADDRESS', `${where}: refused to look up ${hostname} (this run reaches only network.allow)`, { url: where, address: hostname });
}

/** For a URL whose host is an IP literal: node connects without calling `lookup`, so check it up front. */
export function literalRefusal(hostname: string, allow: readonly string[], where: string, only = false): DialtoneError | undefined {
  const parsed = parse(hostname);
  // Only listed addresses: a host name is refused before any socket or DNS query.
  if (only && !parsed) return nameRefusal(where, hostname);
  return parsed && isForbiddenAddress(parsed.address, allow, only) ? refusal(where, parsed.address, only) : undefined;
}

/**
 * A `lookup` for http.request: resolves every address, refuses the host if any of them is
 * forbidden (a mixed answer is a rebinding attempt), and hands node only the checked addresses,
 * so the socket connects to exactly what was checked and nothing is opened on refusal.
 */
export function guardedLookup(allow: readonly string[], where: string, only = false): LookupFunction {
  return (hostname, options, callback) => {
    // Only listed addresses: a name is not even resolved (no DNS query leaves the host).
    if (only) return callback(nameRefusal(where, hostname), []);
    dnsLookup(hostname, { all: true, family: options.family ?? 0, hints: options.hints ?? 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = addresses.find((a) => isForbiddenAddress(a.address, allow));
      if (bad) return callback(refusal(where, bad.address), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
