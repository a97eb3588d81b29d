// robots.txt, read the way RFC 9309 (Robots Exclusion Protocol) describes it — pure, no I/O.
// - A group is one or more consecutive `user-agent` lines followed by rules; a user-agent line
//   after rules starts a new group. Groups naming the same product token are merged (§2.2.1).
// - Our group is the one whose product token equals ours, case-insensitively; else `*`; else none
//   (everything allowed).
// - Allow/Disallow paths may use `*` (any run of characters) and `$` (end of the path); the rule
//   with the longest path wins, and Allow wins a tie (§2.2.2). An empty Disallow allows everything.
// - `Crawl-delay` is not in the RFC but widely published; it is read per group, in seconds.
// - Robustness: a UTF-8 BOM, CRLF or CR line ends, `#` comments, unknown or malformed lines
//   (ignored), and only the first 500 KiB are parsed (§2.5 lets a crawler stop there).

/** §2.5: a crawler SHOULD parse at least 500 kibibytes; we parse exactly that much. */
export const MAX_ROBOTS_BYTES = 500 * 1024;

export interface RobotsRule {
  allow: boolean;
  /** The path pattern as written, percent-encoding normalised (see normalisePath). */
  path: string;
}

/** The rules that apply to one crawler. */
export interface RobotsPolicy {
  rules: RobotsRule[];
  /** Crawl-delay of the matched group, in milliseconds; undefined when it gives none. */
  crawlDelayMs?: number;
}

interface Group {
  agents: string[];
  rules: RobotsRule[];
  crawlDelayMs?: number;
}

export interface ParsedRobots {
  groups: Group[];
}

/** Crawl-delay values above this are clamped (a typo of "86400" must not stall a host for a day). */
export const MAX_CRAWL_DELAY_MS = 120_000;

/** Parses a robots.txt body (bytes or text); never throws. */
export function parseRobots(input: string | Uint8Array): ParsedRobots {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let text = bytes.subarray(0, MAX_ROBOTS_BYTES).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const groups: Group[] = [];
  let current: Group | undefined;
  let lastWasAgent = false;
  for (const rawLine of text.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // blank, comment-only or malformed
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!current || !lastWasAgent) {
        current = { agents: [], rules: [] };
        groups.push(current);
      }
      current.agents.push(productToken(value));
      lastWasAgent = true;
      continue;
    }
    if (key === 'allow' || key === 'disallow') {
      lastWasAgent = false;
      // a rule before any user-agent line belongs to no group (§2.2)
      if (!current) continue;
      // "Disallow:" with no path disallows nothing; "Allow:" with none allows nothing extra
      if (value === '') continue;
      current.rules.push({ allow: key === 'allow', path: normalisePath(value) });
      continue;
    }
    if (key === 'crawl-delay') {
      lastWasAgent = false;
      if (!current) continue;
      const seconds = Number(value);
      if (/^\d+(?:\.\d+)?$/.test(value) && Number.isFinite(seconds)) {
        current.crawlDelayMs = Math.min(Math.round(seconds * 1000), MAX_CRAWL_DELAY_MS);
      }
      continue;
    }
    // sitemap and unknown keys neither end a run of user-agent lines nor belong to a group (§2.2.4)
  }
  return { groups };
}

/** The product token of a user-agent line: `FeedSift/1.0 (+url)` → `feedsift`; `*` stays `*`. */
function productToken(value: string): string {
  if (value.startsWith('*')) return '*';
  const m = /^[A-Za-z_-]+/.exec(value);
  return (m ? m[0] : value).toLowerCase();
}

/** The rules for `token` (case-insensitive): its own groups merged, else the `*` groups merged, else none. */
export function policyFor(robots: ParsedRobots, token: string): RobotsPolicy {
  const want = token.toLowerCase();
  let matched = robots.groups.filter((g) => g.agents.includes(want));
  if (!matched.length) matched = robots.groups.filter((g) => g.agents.includes('*'));
  const policy: RobotsPolicy = { rules: matched.flatMap((g) => g.rules) };
  const delays = matched.map((g) => g.crawlDelayMs).filter((d): d is number => d !== undefined);
  if (delays.length) policy.crawlDelayMs = Math.max(...delays);
  return policy;
}

/** The product token of our User-Agent header: `feedsift/0.1 (+https://…)` → `feedsift`. */
export function productTokenOf(userAgent: string): string {
  return productToken(userAgent.trim());
}

/**
 * Percent-encoding normalised so that a rule and a URL compare octet by octet (§2.2.2):
 * characters outside ASCII are UTF-8 percent-encoded, existing escapes upper-cased.
 * `*` and `$` are kept (they are the pattern's special characters).
 */
export function normalisePath(path: string): string {
  let out = '';
  for (const ch of path) {
    const code = ch.codePointAt(0)!;
    if (code > 0x7e || code < 0x21) out += encodeURIComponent(ch);
    else out += ch;
  }
  return out.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase());
}

/** Does `pattern` (with `*` and a trailing `$`) match the start of `path`? */
export function ruleMatches(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const body = anchored ? pattern.slice(0, -1) : pattern;
  const parts = body.split('*');
  // the first part must be a prefix; each later part found in order; with `$`, the last part ends the path
  if (!path.startsWith(parts[0]!)) return false;
  let at = parts[0]!.length;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (anchored && i === parts.length - 1) {
      // the last part must end the path (and start no earlier than `at`)
      return path.length - part.length >= at && path.endsWith(part);
    }
    const found = path.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return anchored ? at === path.length : true;
}

/**
 * May the crawler fetch `pathAndQuery` (e.g. `/news/a?id=1`)? Longest matching rule wins,
 * Allow wins a tie, no matching rule → allowed. `/robots.txt` is always allowed (§2.2.2).
 */
export function isAllowed(policy: RobotsPolicy, pathAndQuery: string): boolean {
  const path = normalisePath(pathAndQuery || '/');
  if (path === '/robots.txt') return true;
  let best: RobotsRule | undefined;
  for (const rule of policy.rules) {
    if (!ruleMatches(rule.path, path)) continue;
    const len = rule.path.length;
    const bestLen = best?.path.length ?? -1;
    if (len > bestLen || (len === bestLen && rule.allow && !best!.allow)) best = rule;
  }
  return best ? best.allow : true;
}

/** The path and query of a URL as robots rules see it. */
export function robotsPathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname || '/'}${u.search}`;
}
