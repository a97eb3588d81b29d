import { describe, expect, it } from 'vitest';
import { newRedis, uniquePrefix, deletePrefix } from '../helpers/redis.ts';

describe('test redis', () => {
  it('answers under a unique prefix', async () => {
    const r = newRedis();
    const p = uniquePrefix();
    await r.set(`${p}:k`, 'v');
    expect(await r.get(`${p}:k`)).toBe('v');
    await deletePrefix(r, p);
    expect(await r.exists(`${p}:k`)).toBe(0);
    r.disconnect();
  });
});
