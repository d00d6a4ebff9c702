#!/usr/bin/env node
// Bundles one app into a runnable artifact: dist/<app root>/main.mjs (+ source map).
// Third-party packages stay external: the Dockerfiles install production dependencies beside it.
//   node tools/build-app.mjs apps/edge-auth [--outdir DIR]
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleForNode } from './esbuild-node.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { outdir: { type: 'string' } },
});
const [projectRoot] = positionals;
if (!projectRoot) {
  console.error('usage: node tools/build-app.mjs <apps/name> [--outdir DIR]');
  process.exit(2);
}
const workspaceRoot = resolve(import.meta.dirname, '..');
const entry = resolve(workspaceRoot, projectRoot, 'src/main.ts');
if (!existsSync(entry)) {
  console.error(`build-app: ${entry} does not exist`);
  process.exit(2);
}
const outdir = resolve(values.outdir ?? resolve(workspaceRoot, 'dist', projectRoot));
await bundleForNode(entry, resolve(outdir, 'main.mjs'));
console.log(`built ${projectRoot} -> ${outdir}/main.mjs`);
