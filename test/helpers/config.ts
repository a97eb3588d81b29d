// Configuration for tests that run the pipeline against loopback servers standing in for
// outlets: a unique prefix, the test hosts mapped to 127.0.0.1 and exempt from the outbound
// guard, no per-host delay (one server stands for every host), short retry backoff.
import { loadConfig, type Config } from '../../config/load.ts';
import type { FeedConfig } from '../../pipeline/records.ts';

export function loopbackConfig(opts: {
  prefix: string;
  feeds: FeedConfig[];
  /** hostname → loopback IP */
  hosts: Record<string, string>;
  env?: Record<string, string>;
  settings?: Partial<Config['settings']>;
}): Config {
  return loadConfig({
    env: opts.env ?? {},
    feeds: opts.feeds,
    overrides: (s) => {
      s.prefix = opts.prefix;
      s.http.hostOverrides = opts.hosts;
      // the outbound guard refuses loopback: the test hosts are reached through the allowlist
      s.http.allowHosts = Object.keys(opts.hosts);
      s.politeness.hostDelayMs = 0;
      s.backoffMs = 50;
      Object.assign(s, opts.settings ?? {});
    },
  });
}
