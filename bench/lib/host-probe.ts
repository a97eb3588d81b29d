// The same fixed piece of JavaScript work, timed at the start and at the end of a bench run: how
// fast this host ran plain JS that day, so that runs on different days (or hosts) can be told
// apart from changes of the code. Ratios of a run are measured against baselines of the same run
// and do not need it; the absolute figures (pages/s, µs a decision) move with it.
//   loop:  200 M rounds of a multiply-and-xor hash (one core's arithmetic: ~240 ms at 2.8 GHz)
//   alloc: 3 M small objects with a string each, kept in an array (allocation, GC, memory)

export interface HostProbe {
  loopMs: number;
  allocMs: number;
}

export function hostProbe(): HostProbe {
  const t0 = process.hrtime.bigint();
  let h = 0x811c9dc5;
  for (let i = 0; i < 200_000_000; i++) {
    h ^= i & 0xff;
    h = Math.imul(h, 16777619);
  }
  const t1 = process.hrtime.bigint();
  const kept: Array<{ i: number; s: string }> = [];
  for (let i = 0; i < 3_000_000; i++) kept.push({ i, s: `x${i}` });
  const t2 = process.hrtime.bigint();
  // the results are used, so that neither loop can be dropped
  if (h === 0 && kept.length === 0) console.error('host probe: unexpected');
  return { loopMs: Math.round(Number(t1 - t0) / 1e6), allocMs: Math.round(Number(t2 - t1) / 1e6) };
}
