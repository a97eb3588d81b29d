// URL canonicalisation: one spelling per article, whatever link a feed or a share button used.
import { createHash } from 'node:crypto';

// Query parameters that identify a campaign or a click, never the content.
const TRACKING_PARAMS = new Set([
  'fbclid', 'gclid', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'yclid', 'twclid', 'ttclid', 'li_fat_id',
  'mc_cid', 'mc_eid', '_hsenc', '_hsmi', 'hsctatracking', 'mkt_tok', 'igshid', 'si', 'ncid', 'ocid',
  'cmpid', 'sr_share', 'ref_src', 'ref_url', 'smid', 'wt.mc_id', 'wt_mc_id', 'at_medium', 'at_campaign',
  'xtor', 'guccounter', 'guce_referrer', 'guce_referrer_sig', '__twitter_impression', 'share', 'amp',
]);
const TRACKING_PREFIXES = ['utm_', 'pk_', 'mtm_', 'matomo_', 'vero_', 'oly_', 'rb_clickid'];

export function isTrackingParam(name: string): boolean {
  const n = name.toLowerCase();
  return TRACKING_PARAMS.has(n) || TRACKING_PREFIXES.some((p) => n.startsWith(p));
}

/**
 * Absolute URL, resolved against `base`, or undefined when it cannot be one.
 * Only http(s) URLs are returned.
 */
export function resolveUrl(href: string | undefined | null, base?: string): string | undefined {
  if (!href) return undefined;
  const trimmed = href.trim();
  if (!trimmed) return undefined;
  try {
    const u = base ? new URL(trimmed, base) : new URL(trimmed);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.toString();
  } catch {
    return undefined;
  }
}

/**
 * The canonical spelling of an article URL: lower-case scheme and host, no default port,
 * no fragment, no tracking parameters, no empty query, and the remaining parameters in
 * their original order (order can matter to some servers).
 */
export function cleanUrl(url: string): string {
  const u = new URL(url);
  u.hash = '';
  u.hostname = u.hostname.toLowerCase();
  if ((u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443')) u.port = '';
  const kept: Array<[string, string]> = [];
  for (const [k, v] of u.searchParams) if (!isTrackingParam(k)) kept.push([k, v]);
  u.search = kept.length ? `?${new URLSearchParams(kept).toString()}` : '';
  // collapse duplicate slashes in the path, keep a trailing slash as the site wrote it
  u.pathname = u.pathname.replace(/\/{2,}/g, '/');
  return u.toString();
}

/** Stable id of a URL: 32 hex chars of its SHA-256 after cleaning. */
export function urlId(url: string): string {
  let canonical = url;
  try {
    canonical = cleanUrl(url);
  } catch {
    // not a URL: hash the string as given
  }
  return sha256Hex(canonical).slice(0, 32);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Host without a leading `www.`, for naming an outlet when nothing better is known. */
export function displayHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}
