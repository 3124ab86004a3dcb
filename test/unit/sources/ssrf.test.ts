import { classifyAddress, isForbiddenAddress } from '../../../shared/sources/ssrf.js';

describe('isForbiddenAddress', () => {
  test.each([
    // address, allow list, forbidden?, class
    ['169.254.169.254', [], true, 'link-local'], // instance metadata
    ['169.254.169.254', ['169.254.169.253'], true, 'link-local'], // only the exact address is allowed
    ['10.0.0.1', [], true, 'private'],
    ['10.255.255.255', [], true, 'private'],
    ['172.16.0.1', [], true, 'private'],
    ['172.31.255.254', [], true, 'private'],
    ['172.32.0.1', [], false, 'public'], // just outside 172.16/12
    ['192.168.1.10', [], true, 'private'],
    ['100.64.0.1', [], true, 'private'], // carrier-grade NAT
    ['100.128.0.1', [], false, 'public'],
    ['127.0.0.1', [], true, 'loopback'],
    ['127.0.0.1', ['127.0.0.1'], false, 'loopback'],
    ['127.0.0.2', ['127.0.0.1'], true, 'loopback'],
    ['0.0.0.0', [], true, 'unspecified'],
    ['224.0.0.251', [], true, 'multicast'],
    ['255.255.255.255', [], true, 'reserved'],
    ['::1', [], true, 'loopback'],
    ['::1', ['0:0:0:0:0:0:0:1'], false, 'loopback'], // allow entries compare as addresses, not strings
    ['[::1]', [], true, 'loopback'], // as URL.hostname spells it
    ['::', [], true, 'unspecified'],
    ['fd12:3456::1', [], true, 'private'],
    ['fe80::1%eth0', [], true, 'link-local'],
    ['ff02::1', [], true, 'multicast'],
    ['::ffff:169.254.169.254', [], true, 'link-local'], // IPv4-mapped
    ['::ffff:a00:1', [], true, 'private'], // 10.0.0.1 mapped, hex spelling
    ['::ffff:127.0.0.1', ['127.0.0.1'], false, 'loopback'],
    ['64:ff9b::a9fe:a9fe', [], true, 'link-local'], // NAT64 of 169.254.169.254
    ['64:ff9b::808:808', [], false, 'public'], // NAT64 of 8.8.8.8 (DNS64 on IPv6-only subnets)
    ['8.8.8.8', [], false, 'public'],
    ['140.82.112.3', [], false, 'public'],
    ['2606:4700::6810:84e5', [], false, 'public'],
    ['not-an-ip', ['not-an-ip'], true, 'invalid'], // fails closed
    ['', [], true, 'invalid'],
  ] as const)('%s allow=%j → forbidden %s (%s)', (ip, allow, forbidden, cls) => {
    expect(isForbiddenAddress(ip, allow)).toBe(forbidden);
    expect(classifyAddress(ip)).toBe(cls);
  });
});
