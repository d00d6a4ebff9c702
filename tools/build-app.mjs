#!/usr/bin/env node
// Bundles one app into a runnable artifact: dist/<app root>/main.mjs (+ source map), each
// worker-thread entry (src/**/<name>.worker.ts) beside it as <name>.worker.mjs, and whatever the
// app's own build-assets.mjs adds (admin-api: its console).
// Third-party packages stay external: the Dockerfiles install production dependencies beside it.
//   node tools/build-app.mjs apps/edge-auth [--outdir DIR]
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
const workers = readdirSync(resolve(workspaceRoot, projectRoot, 'src'), {
  recursive: true,
  withFileTypes: true,
}).filter((f) => f.isFile() && f.name.endsWith('.worker.ts'));
for (const worker of workers) {
  const out = resolve(outdir, `${basename(worker.name, '.ts')}.mjs`);
  await bundleForNode(join(worker.parentPath, worker.name), out);
}
// An app with files besides its bundles (admin-api's console) builds them with build-assets.mjs.
const assets = resolve(workspaceRoot, projectRoot, 'build-assets.mjs');
if (existsSync(assets)) await (await import(pathToFileURL(assets).href)).buildAssets(outdir);
console.log(
  `built ${projectRoot} -> ${outdir}/main.mjs${workers.map((w) => `, ${basename(w.name, '.ts')}.mjs`).join('')}`,
);
