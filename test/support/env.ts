import dns from 'node:dns';

// The AWS SDK warns on Node 20 at every client creation; the project supports Node 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// Tests never send a packet outside 127.0.0.0/8, not even a DNS query: any name but localhost
// fails here as an unknown host, exactly as a name that does not resolve.
const local = (host: string) => host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1';
const refuse = (host: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (tests resolve only localhost)`), { code: 'ENOTFOUND', hostname: host });
const realLookup = dns.lookup;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(dns as any).lookup = (host: string, ...rest: any[]) => {
  const callback = rest[rest.length - 1];
  if (!local(host)) return process.nextTick(() => callback(refuse(host)));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (realLookup as any)(host, ...rest);
};
const realPromiseLookup = dns.promises.lookup;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(dns.promises as any).lookup = (host: string, ...rest: any[]) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  local(host) ? (realPromiseLookup as any)(host, ...rest) : Promise.reject(refuse(host));
