import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

/** The metering thread built for this test run (see metering-worker.global-setup.ts). */
export function builtMeteringWorker(): URL {
  return new URL(inject('meteringWorkerUrl'));
}

/** `main.mjs` of the same build: edge-auth exactly as deployed, for tests that run it as a process. */
export function builtEdgeEntry(): string {
  return fileURLToPath(new URL('./main.mjs', builtMeteringWorker()));
}
