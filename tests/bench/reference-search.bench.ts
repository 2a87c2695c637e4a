/**
 * Benchmark: members.searchReference over the whole official reference (34,969 communes and
 * 1,255 EPCIs), the search an operator types into when onboarding a commune. Target: p95 under
 * 20 ms. Baseline in the same run: one bare pass over the same entries comparing a string (the
 * floor of any linear scan on this machine). Run: npm run bench -- reference
 */
import { performance } from 'node:perf_hooks';
import { normaliseSearch, referenceCommunes, searchReference } from '@mutualis/core';

const queries = ['vaulx', 'st fons', 'saint etienne', 'villeurbanne', 'bourg', 'marseille', 'le', 'metropole de lyon', 'cc du', '69120', '69256', '216902569', 'decines', 'ste foy', 'la', 'zzz'];
const names = [...referenceCommunes().values()].map((c) => normaliseSearch(c.name));

const t0 = performance.now();
searchReference('warm-up');
console.log(`index built in ${(performance.now() - t0).toFixed(0)} ms (once per process)`);

function measure(fn: (q: string) => unknown, rounds = 40) {
  for (const q of queries) fn(q);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) for (const q of queries) {
    const start = performance.now();
    fn(q);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { n: times.length, p50: times[Math.floor(times.length * 0.5)]!, p95: times[Math.floor(times.length * 0.95)]!, max: times.at(-1)! };
}

let sink = 0;
const baseline = measure((q) => { for (const n of names) if (n === q) sink++; });
const search = measure((q) => searchReference(q, 20));
console.log(`\n${'operation'.padEnd(44)} ${'runs'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'p95/baseline'.padStart(13)}`);
for (const [name, r] of [['baseline: one pass comparing names', baseline], ['members.searchReference (20 results)', search]] as const) {
  console.log(`${name.padEnd(44)} ${String(r.n).padStart(6)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${r.max.toFixed(2).padStart(8)} ${(r.p95 / baseline.p95).toFixed(1).padStart(12)}x`);
}
console.log(`\ntarget: p95 under 20 ms — ${search.p95 < 20 ? 'met' : 'NOT met'} on this machine${sink < 0 ? '' : ''}`);
