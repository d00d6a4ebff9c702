import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildServiceArtifact,
  infraEnv,
  isolatedServiceEnv,
  startServiceProcess,
} from '@tollgate/test-infra';

export const newCredential = () => randomBytes(32).toString('base64url');

/** A built app running as its own process on its own schema (Kafka topics share `KAFKA_TOPIC_PREFIX`). */
async function startApp(appRoot: string, env: Record<string, string>) {
  const isolated = isolatedServiceEnv((appRoot.split('/').at(-1) ?? appRoot).replace('-', '_'));
  const artifact = await buildServiceArtifact(appRoot);
  try {
    const process = await startServiceProcess(
      artifact.entry,
      { ...infraEnv(), ...isolated.env, LOG_LEVEL: 'info', ...env },
      60_000,
    );
    await process.ready(60_000).catch(async (err: unknown) => {
      await process.stop('SIGKILL');
      throw err;
    });
    return {
      url: process.url,
      async stop() {
        await process.stop('SIGTERM');
        await artifact.remove();
        await isolated.cleanup();
      },
    };
  } catch (err) {
    await artifact.remove();
    await isolated.cleanup();
    throw err;
  }
}

export interface KeyServiceUnderTest {
  url: string;
  /** billing-service's credential toward key-service (its SERVICE_TOKEN). */
  billingCredential: string;
  /** Stops it; a second call waits for the first. */
  stop(): Promise<void>;
}

/**
 * A real key-service process (its default plans seeded) that accepts billing-service's credential
 * (`billingCredential`: billing has one SERVICE_TOKEN toward key-service and usage-ingestor).
 */
export async function startKeyService(
  billingCredential = newCredential(),
): Promise<KeyServiceUnderTest> {
  const topics = isolatedServiceEnv('bs_catalog_topics');
  const keyService = await startApp('apps/key-service', {
    SERVICE_TOKENS: `admin-api:${newCredential()},billing-service:${billingCredential}`,
    KAFKA_TOPIC_PREFIX: topics.env.KAFKA_TOPIC_PREFIX,
  }).catch(async (err: unknown) => {
    await topics.cleanup();
    throw err;
  });
  let stopped: Promise<void> | undefined;
  return {
    url: keyService.url,
    billingCredential,
    stop: () =>
      (stopped ??= (async () => {
        await keyService.stop();
        await topics.cleanup();
      })()),
  };
}

export interface KeyServiceAndEdge {
  keyServiceUrl: string;
  edgeUrl: string;
  /** billing-service's credential toward key-service (its SERVICE_TOKEN). */
  billingCredential: string;
  /** Calls key-service as admin-api would (accounts, keys). */
  admin(method: 'GET' | 'POST', path: string, body?: object): Promise<Response>;
  /** Asks edge-auth, as nginx would, whether `key` may call the API. */
  verify(key: string): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Real key-service and edge-auth processes that accept only service credentials: what dunning
 * suspends through, and what then refuses the account's keys.
 */
export async function startKeyServiceAndEdge(): Promise<KeyServiceAndEdge> {
  const adminCredential = newCredential();
  const edgeCredential = newCredential();
  const billingCredential = newCredential();
  const topics = isolatedServiceEnv('bs_dunning_topics');
  const spool = await mkdtemp(join(tmpdir(), 'bs-dunning-spool-'));
  const keyService = await startApp('apps/key-service', {
    SERVICE_TOKENS: `admin-api:${adminCredential},edge-auth:${edgeCredential},billing-service:${billingCredential}`,
    KAFKA_TOPIC_PREFIX: topics.env.KAFKA_TOPIC_PREFIX,
    OUTBOX_POLL_MS: '10',
  });
  const edge = await startApp('apps/edge-auth', {
    KAFKA_TOPIC_PREFIX: topics.env.KAFKA_TOPIC_PREFIX,
    KEY_SERVICE_URL: keyService.url,
    SERVICE_TOKEN: edgeCredential,
    SPOOL_DIR: spool,
    METER_LINGER_MS: '5',
  }).catch(async (err: unknown) => {
    await keyService.stop();
    throw err;
  });
  return {
    keyServiceUrl: keyService.url,
    edgeUrl: edge.url,
    billingCredential,
    admin: (method, path, body) =>
      fetch(new URL(path, keyService.url), {
        method,
        headers: {
          authorization: `Bearer ${adminCredential}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    verify: (key) =>
      fetch(new URL('/verify', edge.url), {
        headers: {
          authorization: `Bearer ${key}`,
          'x-original-uri': '/v1/orders',
          'x-original-method': 'GET',
        },
      }),
    async stop() {
      await edge.stop();
      await keyService.stop();
      await topics.cleanup();
      await rm(spool, { recursive: true, force: true });
    },
  };
}
