#!/usr/bin/env node
// Builds the admin console's browser files into one folder: console.js (the TypeScript in
// src/console/ui, uPlot included), console.css (uPlot's styles included), index.html and the icon.
// Nothing is fetched at run time from anywhere but admin-api itself (see the CSP in
// src/console/http/console-assets.ts).
//   node apps/admin-api/build-console.mjs [OUTDIR]   (default dist/apps/admin-api/console)
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ui = resolve(import.meta.dirname, 'src/console/ui');

/** Bundles the console into `outdir` (created if missing). */
export async function buildConsole(outdir) {
  await mkdir(outdir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
    legalComments: 'none',
  };
  await build({
    ...common,
    entryPoints: [resolve(ui, 'main.ts')],
    outfile: resolve(outdir, 'console.js'),
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    tsconfig: resolve(ui, 'tsconfig.json'),
  });
  await build({
    ...common,
    entryPoints: [resolve(ui, 'console.css')],
    outfile: resolve(outdir, 'console.css'),
  });
  for (const file of ['index.html', 'favicon.svg'])
    await copyFile(resolve(ui, file), resolve(outdir, file));
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outdir = resolve(
    process.argv[2] ?? resolve(import.meta.dirname, '../../dist/apps/admin-api/console'),
  );
  await buildConsole(outdir);
  console.log(`built the admin console -> ${outdir}`);
}
