// The outbound guard: which addresses feedsift may connect to. A feed or a page can point
// anywhere (a redirect, a DNS name that resolves to 10.0.0.5, a rebinding name that answers
// differently the second time), so the check runs on the address the socket is about to
// connect to — pipeline/http.ts calls it from inside the lookup the socket uses — and only
// publicly routable unicast addresses pass, unless the operator allowlisted the host or range.
//
// Ranges from the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its
// updates), plus the cloud metadata endpoints (AWS/GCP/Azure 169.254.169.254, AWS IPv6
// fd00:ec2::254). Pure functions over address strings: nothing here connects or resolves.
import net from 'node:net';

/** Why an address is refused (stable names, shown in BLOCKED_ADDRESS errors). */
export type BlockReason =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared-cgnat'
  | 'link-local'
  | 'cloud-metadata'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'unique-local'
  | 'not-an-ip';

interface Range {
  /** Network address as a bigint (IPv4: 32 bits; IPv6: 128 bits). */
  base: bigint;
  bits: number;
  reason: BlockReason;
}

/** Dotted quad → 32-bit value; undefined when not a strict IPv4 literal. */
function ipv4ToBigInt(ip: string): bigint | undefined {
  if (net.isIPv4(ip) === false) return undefined;
  return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** IPv6 literal (zone id and brackets allowed, embedded dotted quad allowed) → 128-bit value. */
function ipv6ToBigInt(raw: string): bigint | undefined {
  const ip = raw.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!net.isIPv6(ip)) return undefined;
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToBigInt(dotted[1]!);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function v4(cidr: string, reason: BlockReason): Range {
  const [ip, bits] = cidr.split('/');
  return { base: ipv4ToBigInt(ip!)!, bits: Number(bits), reason };
}
function v6(cidr: string, reason: BlockReason): Range {
  const [ip, bits] = cidr.split('/');
  return { base: ipv6ToBigInt(ip!)!, bits: Number(bits), reason };
}

// Most specific first: the first match names the reason.
const IPV4_BLOCKED: readonly Range[] = [
  v4('169.254.169.254/32', 'cloud-metadata'),
  v4('255.255.255.255/32', 'broadcast'),
  v4('0.0.0.0/8', 'unspecified'), // "this network" (RFC 791/1122)
  v4('10.0.0.0/8', 'private'), // RFC 1918
  v4('100.64.0.0/10', 'shared-cgnat'), // RFC 6598
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'), // RFC 3927
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments (RFC 6890)
  v4('192.0.2.0/24', 'documentation'), // TEST-NET-1 (RFC 5737)
  v4('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast (RFC 7526)
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'), // RFC 2544
  v4('198.51.100.0/24', 'documentation'), // TEST-NET-2
  v4('203.0.113.0/24', 'documentation'), // TEST-NET-3
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'), // class E (RFC 1112)
];

const IPV6_BLOCKED: readonly Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('fd00:ec2::254/128', 'cloud-metadata'), // AWS IMDS over IPv6
  v6('64:ff9b:1::/48', 'reserved'), // local-use NAT64 (RFC 8215)
  v6('100::/64', 'reserved'), // discard-only (RFC 6666)
  v6('2001::/23', 'reserved'), // IETF protocol assignments, Teredo included (RFC 2928, 4380)
  v6('2001:db8::/32', 'documentation'), // RFC 3849
  v6('3fff::/20', 'documentation'), // RFC 9637
  v6('fc00::/7', 'unique-local'), // RFC 4193
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'private'), // deprecated site-local (RFC 3879)
  v6('ff00::/8', 'multicast'),
];
const GLOBAL_UNICAST_V6 = v6('2000::/3', 'reserved');

function inRange(value: bigint, range: { base: bigint; bits: number }, width: number): boolean {
  const shift = BigInt(width - range.bits);
  return value >> shift === range.base >> shift;
}

function classifyV4(value: bigint): BlockReason | undefined {
  return IPV4_BLOCKED.find((r) => inRange(value, r, 32))?.reason;
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedV4(value: bigint): bigint | undefined {
  const low32 = value & 0xffffffffn;
  if (value >> 32n === 0xffffn) return low32; // ::ffff:a.b.c.d, IPv4-mapped (RFC 4291)
  if (value >> 32n === 0n) return low32; // ::a.b.c.d, IPv4-compatible (deprecated), :: and ::1 handled before
  if (value >> 32n === 0x0064ff9b_0000_0000_0000_0000n) return low32; // 64:ff9b::/96 NAT64 (RFC 6052)
  if (value >> 112n === 0x2002n) return (value >> 80n) & 0xffffffffn; // 2002:AABB:CCDD::/48, 6to4 (RFC 3056)
  return undefined;
}

function classifyV6(value: bigint): BlockReason | undefined {
  const exact = IPV6_BLOCKED.find((r) => r.bits === 128 && r.base === value);
  if (exact) return exact.reason;
  const inner = embeddedV4(value);
  // An embedded public IPv4 is as good as the IPv4 itself; a private one is refused with its reason.
  if (inner !== undefined) return classifyV4(inner);
  const range = IPV6_BLOCKED.find((r) => inRange(value, r, 128));
  if (range) return range.reason;
  // Everything outside 2000::/3 is unassigned or special: not a destination for a feed.
  return inRange(value, GLOBAL_UNICAST_V6, 128) ? undefined : 'reserved';
}

/**
 * Why `address` (an IP literal: IPv4, IPv6, bracketed, with a zone id) must not be connected
 * to, or undefined when it is a publicly routable unicast address. Not an IP → 'not-an-ip'.
 */
export function blockedReason(address: string): BlockReason | undefined {
  const a = ipv4ToBigInt(address);
  if (a !== undefined) return classifyV4(a);
  const b = ipv6ToBigInt(address);
  if (b !== undefined) return classifyV6(b);
  return 'not-an-ip';
}

/** The operator's exemptions: hostnames (exact, or `*.suffix` / `.suffix`) and IPs or CIDR ranges. */
export interface AllowList {
  hosts: ReadonlySet<string>;
  /** Suffixes, with their leading dot: `.internal`. */
  suffixes: readonly string[];
  ranges: ReadonlyArray<{ family: 4 | 6; base: bigint; bits: number }>;
}

/** Parses one allowlist entry; returns a problem description for a bad entry. */
function addEntry(entry: string, hosts: Set<string>, suffixes: string[], ranges: AllowList['ranges'][number][]): string | undefined {
  const e = entry.trim().toLowerCase();
  if (!e) return undefined;
  const [ipPart, bitsPart] = e.split('/');
  const asV4 = ipv4ToBigInt(ipPart!);
  const asV6 = asV4 === undefined ? ipv6ToBigInt(ipPart!) : undefined;
  if (asV4 !== undefined || asV6 !== undefined) {
    const family = asV4 !== undefined ? 4 : 6;
    const width = family === 4 ? 32 : 128;
    const bits = bitsPart === undefined ? width : Number(bitsPart);
    if (!/^\d+$/.test(bitsPart ?? '0') || bits > width) return `"${entry}" has a bad prefix length`;
    ranges.push({ family, base: (asV4 ?? asV6)!, bits });
    return undefined;
  }
  if (bitsPart !== undefined) return `"${entry}" is not an IP/CIDR`;
  const suffix = /^\*?(\.[a-z0-9-]+(?:\.[a-z0-9-]+)*)\.?$/.exec(e);
  if (suffix) {
    suffixes.push(suffix[1]!);
    return undefined;
  }
  if (/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/.test(e)) {
    hosts.add(e.replace(/\.$/, ''));
    return undefined;
  }
  return `"${entry}" is neither a hostname, *.suffix, IP nor CIDR`;
}

/** Builds an allowlist; throws an Error naming every bad entry. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const ranges: AllowList['ranges'][number][] = [];
  const problems = entries.map((e) => addEntry(e, hosts, suffixes, ranges)).filter((p): p is string => p !== undefined);
  if (problems.length) throw new Error(`bad allowlist entries: ${problems.join('; ')}`);
  return { hosts, suffixes, ranges };
}

/** Problems of allowlist entries (for configuration validation), [] when all are valid. */
export function allowListProblems(entries: readonly string[]): string[] {
  return entries.map((e) => addEntry(e, new Set(), [], [])).filter((p): p is string => p !== undefined);
}

export const EMPTY_ALLOW_LIST: AllowList = parseAllowList([]);

/** True when the operator exempted this hostname (as written in the URL) or this address. */
export function isAllowed(allow: AllowList, hostname: string, address: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (allow.hosts.has(host) || allow.suffixes.some((s) => host.endsWith(s))) return true;
  const a4 = ipv4ToBigInt(address);
  const a6 = a4 === undefined ? ipv6ToBigInt(address) : undefined;
  return allow.ranges.some((r) => {
    const value = r.family === 4 ? a4 : a6;
    return value !== undefined && inRange(value, r, r.family === 4 ? 32 : 128);
  });
}

/**
 * The decision for one connection: undefined when feedsift may connect to `address` (reached
 * as `hostname`), else the reason it may not.
 */
export function refuseConnection(allow: AllowList, hostname: string, address: string): BlockReason | undefined {
  const reason = blockedReason(address);
  if (reason === undefined) return undefined;
  return isAllowed(allow, hostname, address) ? undefined : reason;
}
