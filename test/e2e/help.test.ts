// The command line explains itself: `feedsift --help` lists every command with a one-line
// purpose, `feedsift <command> --help` every option with its default.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildCli } from '../../workers/cli/main.ts';
import { feedsift } from '../helpers/cli.ts';

const COMMANDS = ['demo', 'start', 'run', 'status', 'feeds', 'check-feed', 'failed', 'tail', 'extract', 'language', 'compare', 'cluster'];
const SUBCOMMANDS: Record<string, string[]> = { feeds: ['add', 'list', 'remove', 'import', 'export'], failed: ['list', 'retry'] };

/** Every command of the tree with its path (`feeds add`). */
function walk(cmd: Command, prefix: string[] = []): Array<{ path: string; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...prefix, c.name()].join(' '), cmd: c }, ...walk(c, [...prefix, c.name()])]);
}

describe('feedsift --help', () => {
  it('lists every command with a one-line purpose', async () => {
    const r = await feedsift(['--help']);
    expect(r.code).toBe(0);
    for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b[^\\n]*?  +\\S`, 'm'));
    expect(r.stdout).toContain('FEEDSIFT_FEEDS_FILE');
  });

  it.each(Object.entries(SUBCOMMANDS))('%s --help lists its subcommands', async (group, subs) => {
    const r = await feedsift([group, '--help']);
    expect(r.code).toBe(0);
    for (const sub of subs) expect(r.stdout).toMatch(new RegExp(`^  ${sub}\\b`, 'm'));
  });

  it.each(walk(buildCli()).map((c) => c.path))('%s --help answers with its usage', async (path) => {
    const r = await feedsift([...path.split(' '), '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Usage: feedsift ${path}`);
  });
});

describe('every command and option', () => {
  const tree = walk(buildCli());

  it('are the documented ones', () => {
    expect(tree.filter((c) => !c.path.includes(' ')).map((c) => c.path).sort()).toEqual([...COMMANDS].sort());
    for (const [group, subs] of Object.entries(SUBCOMMANDS)) {
      expect(tree.filter((c) => c.path.startsWith(`${group} `)).map((c) => c.path.split(' ')[1]).sort()).toEqual([...subs].sort());
    }
  });

  it.each(tree.map((c) => [c.path, c.cmd] as const))('%s: has a one-line summary, a description, and says each option\'s default', (_path, cmd) => {
    expect(cmd.summary()).toMatch(/^[^\n]{10,90}$/);
    expect(cmd.description().length).toBeGreaterThan(cmd.summary().length);
    const help = cmd.helpInformation().replace(/\s+/g, ' ');
    for (const o of cmd.options) {
      expect(o.description, o.flags).not.toBe('');
      // a default is either commander's "(default: …)" or written in the description
      const said = o.defaultValue !== undefined || o.negate || o.mandatory || /\bdefault\b|required/.test(o.description);
      expect(said, `${o.flags} does not say its default`).toBe(true);
      if (o.defaultValue !== undefined && o.defaultValueDescription === undefined) expect(help).toContain(`(default: ${JSON.stringify(o.defaultValue)})`);
    }
  });
});
