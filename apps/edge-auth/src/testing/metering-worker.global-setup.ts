import { pathToFileURL } from 'node:url';
import type { TestProject } from 'vitest/node';
import { buildServiceArtifact } from '@tollgate/test-infra';

declare module 'vitest' {
  export interface ProvidedContext {
    /** file: URL of `metering.worker.mjs`, bundled once per run exactly as `nx build` bundles it. */
    meteringWorkerUrl: string;
  }
}

/**
 * In-process edge-auth apps in tests run the same bundled metering thread as the deployed app:
 * edge-auth is built once for the whole run and its worker file handed to the tests.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const artifact = await buildServiceArtifact('apps/edge-auth');
  const worker = new URL('./metering.worker.mjs', pathToFileURL(artifact.entry));
  project.provide('meteringWorkerUrl', worker.href);
  return () => artifact.remove();
}
