#!/usr/bin/env node
// admin-api's files besides main.mjs: the admin console, built into <outdir>/console —
// console.js (the TypeScript in src/console/ui, uPlot included), console.css (uPlot's styles
// included), index.html and the icon. tools/build-app.mjs runs this for every build of the app
// (nx build, Docker, test artifacts). Nothing is fetched at run time from anywhere but admin-api
// itself (see the CSP in src/console/http/console-assets.ts).
//   node apps/admin-api/build-assets.mjs OUTDIR   (the console lands in OUTDIR/console)
import { copyFile, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ui = resolve(import.meta.dirname, 'src/console/ui');

/** Builds the console into `<outdir>/console` and returns that folder. */
export async function buildAssets(outdir) {
  const target = resolve(outdir, 'console');
  await mkdir(target, { recursive: true });
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
    outfile: resolve(target, 'console.js'),
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    tsconfig: resolve(ui, 'tsconfig.json'),
  });
  await build({
    ...common,
    entryPoints: [resolve(ui, 'console.css')],
    outfile: resolve(target, 'console.css'),
  });
  for (const file of ['index.html', 'favicon.svg'])
    await copyFile(resolve(ui, file), resolve(target, file));
  return target;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!process.argv[2]) {
    console.error('usage: node apps/admin-api/build-assets.mjs OUTDIR');
    process.exit(2);
  }
  console.log(`built the admin console -> ${await buildAssets(resolve(process.argv[2]))}`);
}
