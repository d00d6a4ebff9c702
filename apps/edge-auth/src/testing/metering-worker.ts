import { inject } from 'vitest';

/** The metering thread built for this test run (see metering-worker.global-setup.ts). */
export function builtMeteringWorker(): URL {
  return new URL(inject('meteringWorkerUrl'));
}
