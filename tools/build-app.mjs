#!/usr/bin/env node
// Bundles one app into a runnable artifact: dist/<app root>/main.mjs (+ source map).
// Workspace libs (@tollgate/*) are bundled in; third-party packages stay external and come from
// node_modules (the Dockerfiles install production dependencies next to the bundle).
//   node tools/build-app.mjs apps/edge-auth [--outdir DIR]
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

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

const externalThirdParty = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@tollgate/') || args.kind === 'entry-point') return undefined;
      return { path: args.path, external: true };
    });
  },
};

await build({
  entryPoints: { main: entry },
  outdir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  outExtension: { '.js': '.mjs' },
  plugins: [externalThirdParty],
  logLevel: 'warning',
  legalComments: 'none',
});
console.log(`built ${projectRoot} -> ${outdir}/main.mjs`);
