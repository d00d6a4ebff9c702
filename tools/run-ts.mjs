#!/usr/bin/env node
// Runs a TypeScript entry point (scripts, benchmarks, test fixtures) on Node without a TS loader:
// bundles it into dist/.run/ and executes it with the remaining arguments.
//   node tools/run-ts.mjs <file.ts> [args...]
//   node tools/run-ts.mjs --bundle-only <file.ts> <outfile.mjs>
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { bundleForNode } from './esbuild-node.mjs';

const workspaceRoot = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

if (args[0] === '--bundle-only') {
  const [, entry, outfile] = args;
  if (!entry || !outfile) {
    console.error('usage: node tools/run-ts.mjs --bundle-only <file.ts> <outfile.mjs>');
    process.exit(2);
  }
  await bundleForNode(resolve(entry), resolve(outfile));
  process.exit(0);
}

const [entry, ...rest] = args;
if (!entry) {
  console.error('usage: node tools/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const absolute = resolve(entry);
const tag = createHash('sha1').update(absolute).digest('hex').slice(0, 8);
const outfile = resolve(workspaceRoot, 'dist/.run', `${basename(absolute, '.ts')}-${tag}.mjs`);
await bundleForNode(absolute, outfile);
const child = spawn(process.execPath, ['--enable-source-maps', outfile, ...rest], {
  stdio: 'inherit',
});
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
