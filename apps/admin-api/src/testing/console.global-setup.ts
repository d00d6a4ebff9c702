import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { workspaceRoot } from '@tollgate/test-infra';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The console's browser files, built once per run exactly as `nx build admin-api` builds them. */
    consoleAssetsDir: string;
  }
}

/** Builds the admin console once for the run (tests serve it with CONSOLE_ASSETS_DIR). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outdir = await mkdtemp(join(tmpdir(), 'admin-console-'));
  await promisify(execFile)(process.execPath, [
    join(workspaceRoot(), 'apps/admin-api/build-assets.mjs'),
    outdir,
  ]);
  project.provide('consoleAssetsDir', join(outdir, 'console'));
  return () => rm(outdir, { recursive: true, force: true });
}
