// Per-request cost of checking an API key on the edge-auth hot path, next to the cheapest
// credible alternative (unsalted SHA-256 of the key + Map lookup) measured in the same run, plus
// the cost of issuing a key. Printed, never asserted. Run with
// `node tools/run-ts.mjs libs/domain/api-keys/bench/verify.bench.ts`;
// BENCH_ITERATIONS sets the iterations per case (default 200000).
import { createHash, randomBytes } from 'node:crypto';
import { KeyHasher, constantTimeEqualHex, generateApiKey, parseApiKey } from '../src/index';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200_000);
const WARMUP = 20_000;
const ROUNDS = 3;
const STORED_KEYS = 10_000;
const PREFIX = 'tg';

interface StoredKey {
  readonly id: number;
  readonly hash: string;
  readonly pepperVersion: number;
}

const hasher = new KeyHasher([
  { version: 1, secret: randomBytes(32) },
  { version: 2, secret: randomBytes(32) },
]);
const keys = Array.from(
  { length: STORED_KEYS },
  (_, i) => generateApiKey({ prefix: PREFIX, env: i % 2 ? 'live' : 'test' }).plaintext,
);
const bySha256 = new Map<string, number>();
const byHmac = new Map<string, StoredKey>();
keys.forEach((key, id) => {
  bySha256.set(createHash('sha256').update(key).digest('hex'), id);
  const { hash, pepperVersion } = hasher.hash(key);
  byHmac.set(hash, { id, hash, pepperVersion });
});

const BASELINE = 'baseline: sha256 + Map';
const OURS = 'ours: parse + hmac + Map + verify';
const HEX_COMPARE = 'variant: parse + hmac + Map + hex compare';
const PARSE = 'parseApiKey alone';
const GENERATE = 'generateApiKey';

/** Each case checks the i-th presented key (or issues a key) and returns whether it succeeded. */
const cases: Record<string, (i: number) => boolean> = {
  [BASELINE]: (i) => {
    const key = keys[i % STORED_KEYS] ?? '';
    return bySha256.get(createHash('sha256').update(key).digest('hex')) !== undefined;
  },
  [OURS]: (i) => {
    const key = keys[i % STORED_KEYS] ?? '';
    if (!parseApiKey(key, { prefix: PREFIX }).ok) return false;
    const stored = byHmac.get(hasher.hash(key).hash);
    return stored !== undefined && hasher.verify(key, stored.hash, stored.pepperVersion);
  },
  // The lookup already computed the HMAC: comparing it with the stored one skips a second HMAC.
  [HEX_COMPARE]: (i) => {
    const key = keys[i % STORED_KEYS] ?? '';
    if (!parseApiKey(key, { prefix: PREFIX }).ok) return false;
    const { hash } = hasher.hash(key);
    const stored = byHmac.get(hash);
    return stored !== undefined && constantTimeEqualHex(hash, stored.hash);
  },
  [PARSE]: (i) => parseApiKey(keys[i % STORED_KEYS], { prefix: PREFIX }).ok,
  [GENERATE]: (i) =>
    generateApiKey({ prefix: PREFIX, env: i % 2 ? 'live' : 'test' }).plaintext !== '',
};

/** Mean µs per call over `iterations` calls. */
function run(check: (i: number) => boolean, iterations: number): number {
  let succeeded = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) if (check(i)) succeeded++;
  const elapsed = performance.now() - started;
  // A broken path would be fast for the wrong reason.
  if (succeeded !== iterations) throw new Error(`only ${succeeded} of ${iterations} succeeded`);
  return (elapsed * 1000) / iterations;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN;
}

for (const check of Object.values(cases)) run(check, WARMUP);
// Rounds are interleaved so drift (GC, frequency scaling, noisy neighbours) hits every case alike.
const samples = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, check] of Object.entries(cases)) {
    samples.get(name)?.push(run(check, ITERATIONS));
  }
}
const us = (name: string) => median(samples.get(name) ?? []);
const round3 = (n: number) => Math.round(n * 1000) / 1000;

console.log(`${ITERATIONS} iterations x ${ROUNDS} rounds (median), ${STORED_KEYS} stored keys`);
const columns = (...cells: string[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(44) : cell.padStart(12))).join('');
console.log(columns('case', 'µs/op', 'ops/s', 'vs baseline'));
for (const name of Object.keys(cases)) {
  console.log(
    columns(
      name,
      us(name).toFixed(3),
      Math.round(1e6 / us(name)).toLocaleString('en-US'),
      `${(us(name) / us(BASELINE)).toFixed(2)}x`,
    ),
  );
}
console.log(
  JSON.stringify({
    bench: 'api-key-verify',
    node: process.version,
    iterations: ITERATIONS,
    rounds: ROUNDS,
    baselineUs: round3(us(BASELINE)),
    oursUs: round3(us(OURS)),
    oursOpsPerSec: Math.round(1e6 / us(OURS)),
    ratio: round3(us(OURS) / us(BASELINE)),
    hexCompareVariantUs: round3(us(HEX_COMPARE)),
    parseUs: round3(us(PARSE)),
    generateUs: round3(us(GENERATE)),
  }),
);
