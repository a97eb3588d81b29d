// docker-compose.yml and the Dockerfile: validated by Debian's docker-compose (no engine needed),
// and checked for what operators rely on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findOnPath } from '../../workers/redis-server.ts';
import { REPO_ROOT } from '../helpers/eval.ts';

const composeBin = findOnPath('docker-compose');
if (!composeBin) console.warn('[feedsift tests] docker-compose is not on PATH: `docker-compose config -q` is SKIPPED (apt-get install docker-compose)');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  expose?: string[];
}
const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it.skipIf(!composeBin)('passes `docker-compose config -q`', () => {
    const r = spawnSync(composeBin!, ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('runs Redis persistent, never evicting, with a healthcheck', () => {
    const redis = compose.services.redis!;
    expect(redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']));
    expect(redis.healthcheck?.test).toContain('ping');
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('has a scheduler and a scalable worker that run feedsift commands against that Redis', () => {
    const { scheduler, worker } = compose.services;
    expect(scheduler?.command?.[0]).toBe('start');
    expect(worker?.command).toEqual(['start', '--roles', 'article,dedupe', '--no-schedule']);
    for (const s of [scheduler!, worker!]) {
      expect(s.environment?.REDIS_URL).toBe('redis://redis:6379');
      expect(s.depends_on?.redis?.condition).toBe('service_healthy');
      expect(s.volumes).toContain('./config:/app/config:ro');
      // a fixed container_name would make `--scale worker=N` fail
      expect(Object.keys(s)).not.toContain('container_name');
    }
    // …and so would a fixed host port on the worker
    expect(Object.keys(worker!)).not.toContain('ports');
  });

  it('serves the HTTP endpoint of every service: the scheduler\'s published on the host\'s loopback only', () => {
    const { scheduler, worker } = compose.services;
    for (const s of [scheduler!, worker!]) {
      // the endpoint must listen on the container's interface to be reached through Docker's network
      expect(s.environment?.FEEDSIFT_HTTP_HOST).toBe('0.0.0.0');
      expect(s.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8080/readyz');
    }
    expect(scheduler!.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(worker!.expose).toEqual(['8080']);
  });

  it('builds from node:24-slim', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "workers\/cli\/feedsift\.js"\]/);
  });
});
