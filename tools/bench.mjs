#!/usr/bin/env node
// `npm run bench`: runs every `*.bench.ts` under apps/ and libs/ (or those matching an argument),
// one after another, each against the local stack. Results are printed, never asserted.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const filter = process.argv[2];

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : find(path);
    return entry.name.endsWith('.bench.ts') ? [path] : [];
  });
}

const benches = ['apps', 'libs']
  .flatMap((d) => find(join(root, d)))
  .filter((f) => !filter || f.includes(filter));
if (benches.length === 0) {
  console.error(`no benchmarks match ${filter ?? '*.bench.ts'}`);
  process.exit(1);
}
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${relative(root, bench)}`);
  const run = spawnSync(process.execPath, [join(root, 'tools/run-ts.mjs'), bench], {
    stdio: 'inherit',
    cwd: root,
  });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
