import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * Which IP addresses are not on the public Internet (IANA's special-purpose registries): an upstream feed
 * on a public address must not be able to send us, by a redirect or by its DNS, to our own machine, the
 * private network around it, or a cloud metadata endpoint (169.254.169.254).
 */
const SPECIAL: readonly [label: string, family: 'ipv4' | 'ipv6', network: string, prefix: number][] = [
  ['"this network"', 'ipv4', '0.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['shared (carrier-grade NAT)', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link-local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['IETF protocol assignment', 'ipv4', '192.0.0.0', 24],
  ['documentation', 'ipv4', '192.0.2.0', 24],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['benchmarking', 'ipv4', '198.18.0.0', 15],
  ['documentation', 'ipv4', '198.51.100.0', 24],
  ['documentation', 'ipv4', '203.0.113.0', 24],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  // Reaches whatever IPv4 address it embeds, private ones included.
  ['IPv4-mapped', 'ipv6', '::ffff:0:0', 96],
  ['NAT64', 'ipv6', '64:ff9b::', 96],
  ['discard-only', 'ipv6', '100::', 64],
  ['documentation', 'ipv6', '2001:db8::', 32],
  ['unique local (private)', 'ipv6', 'fc00::', 7],
  ['link-local', 'ipv6', 'fe80::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
];

const LISTS = SPECIAL.map(([label, family, network, prefix]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, family);
  return { label, family, list };
});

/** What kind of non-public address `ip` is ("loopback", "private", ...), or null for a public address. */
export function specialAddressKind(ip: string): string | null {
  const version = net.isIP(ip);
  if (version === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  return LISTS.find((l) => l.family === family && l.list.check(ip, family))?.label ?? null;
}

/** The address in a URL host: IPv6 literals come bracketed ("[::1]"); null for a name. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return net.isIP(bare) ? bare : null;
}

/** A connection refused because its address is not public. */
export class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly kind: string,
  ) {
    super(`refusing to connect to ${hostname} (${address}): a ${kind} address, and this source is on the public Internet`);
  }
}

/** The refusal when the host of `url` is an IP literal that is not public (no lookup sees those), else null. */
export function refusedLiteralHost(url: URL): AddressRefused | null {
  const ip = ipLiteral(url.hostname);
  const kind = ip === null ? null : specialAddressKind(ip);
  return ip !== null && kind !== null ? new AddressRefused(url.hostname, ip, kind) : null;
}

/**
 * A `lookup` for http.request that resolves as usual but fails when any address of the name is not public,
 * so the check holds for the address actually connected to (a name re-pointed between check and connect
 * cannot slip through).
 */
export const publicOnlyLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    for (const a of addresses) {
      const kind = specialAddressKind(a.address);
      if (kind !== null) return callback(new AddressRefused(hostname, a.address, kind), '', 4);
    }
    if (options.all) (callback as unknown as (e: null, all: dns.LookupAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/**
 * Agents for public-only fetches, apart from the default ones: a kept-alive socket that a fetch of a private
 * source opened must never be reused by a fetch that may only reach public addresses.
 */
export const PUBLIC_ONLY_AGENTS = {
  'http:': new http.Agent({ keepAlive: true, lookup: publicOnlyLookup }),
  'https:': new https.Agent({ keepAlive: true, lookup: publicOnlyLookup }),
} as const;

/**
 * Whether the host of a configured source URL is itself off the public Internet (an intranet feed, a local
 * fixture): such a source may be followed anywhere, as the operator chose it. A name that does not resolve
 * counts as public, the strict choice; fetching it fails anyway.
 */
export async function isPrivateHost(hostname: string): Promise<boolean> {
  const ip = ipLiteral(hostname);
  if (ip !== null) return specialAddressKind(ip) !== null;
  try {
    const addresses = await dns.promises.lookup(hostname, { all: true });
    return addresses.length > 0 && addresses.every((a) => specialAddressKind(a.address) !== null);
  } catch {
    return false;
  }
}
