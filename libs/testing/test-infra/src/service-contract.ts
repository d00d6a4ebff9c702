import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadConfig } from '@tollgate/service-runtime';
import {
  DOCKERFILE,
  dockerStages,
  effectiveUser,
  PUBLISHED_SERVICES,
  readCompose,
  readDockerfile,
} from './deployment-files';
import { testEndpoints } from './endpoints';
import { isolatedServiceEnv } from './isolated-service-env';
import { buildServiceArtifact, runToExit, startServiceProcess } from './service-process';
import { eventually } from './eventually';

export type InfraDependency = 'postgres' | 'redis' | 'kafka';

export interface ServiceContractSpec {
  service: string;
  /** e.g. `apps/edge-auth`: built with tools/build-app.mjs like `nx build`. */
  appRoot: string;
  dependencies: readonly InfraDependency[];
  /** The app's zod config schema: deployment files may only set variables it reads. */
  configSchema: z.ZodObject;
  /** The app owns a Postgres schema and/or topics: the contract gives it its own, removed afterwards. */
  isolated?: boolean;
  /** The app's own `buildApp`; `never` lets any app config type in (the schema above parses it). */
  buildApp(deps: { config: never }): Promise<FastifyInstance>;
}

interface ReadinessBody {
  code?: string;
  checks: Record<string, string>;
}

/** Points one dependency at a port where nothing listens. */
const UNREACHABLE: Record<InfraDependency, Record<string, string>> = {
  postgres: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' },
  redis: { REDIS_URL: 'redis://127.0.0.1:1' },
  kafka: { KAFKA_BROKERS: '127.0.0.1:1' },
};

export function infraEnv(): Record<string, string> {
  const endpoints = testEndpoints();
  return {
    DATABASE_URL: endpoints.databaseUrl,
    REDIS_URL: endpoints.redisUrl,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    LOG_LEVEL: 'silent',
    READINESS_TIMEOUT_MS: '1500',
  };
}

async function pollReadyz(app: FastifyInstance, wantStatus: number, timeoutMs = 10_000) {
  let res = await app.inject('/readyz');
  await eventually(
    async () => (res = await app.inject('/readyz')).statusCode === wantStatus,
    timeoutMs,
    () => `/readyz ${wantStatus}, last: ${res.statusCode} ${res.body}`,
  );
  return res;
}

/**
 * What every Tollgate app must do, checked against real Postgres, Redis and Kafka:
 * health, readiness that reflects each real dependency, Prometheus metrics, a runnable
 * artifact that refuses bad config and exits 0 on SIGTERM.
 */
export function describeServiceContract(spec: ServiceContractSpec): void {
  const buildFromEnv = (env: Record<string, string>) =>
    spec.buildApp({ config: loadConfig(spec.configSchema, env) as never });
  const isolated = spec.isolated
    ? isolatedServiceEnv(spec.service.replaceAll('-', '_'))
    : undefined;
  const baseEnv = () => ({ ...infraEnv(), ...isolated?.env });

  describe(`${spec.service} service contract`, () => {
    afterAll(async () => {
      await isolated?.cleanup();
    });

    describe('in process, with real dependencies', () => {
      let app: FastifyInstance;
      beforeAll(async () => {
        app = await buildFromEnv(baseEnv());
      });
      afterAll(async () => {
        await app?.close();
      });

      it('answers /healthz', async () => {
        const res = await app.inject('/healthz');
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ status: 'ok' });
      });

      it('is ready once every dependency answers', async () => {
        const res = await pollReadyz(app, 200);
        expect(res.statusCode).toBe(200);
        const expected = Object.fromEntries(spec.dependencies.map((d) => [d, 'ok']));
        expect(res.json<ReadinessBody>().checks).toMatchObject(expected);
      });

      it('serves Prometheus metrics', async () => {
        const res = await app.inject('/metrics');
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        expect(res.body).toMatch(/^# HELP /m);
        expect(res.body).toContain(`service="${spec.service}"`);
        // An app with Kafka says whether its clients reach the brokers (outages are logged once).
        if (spec.dependencies.includes('kafka')) expect(res.body).toMatch(/^kafka_client_up\b/m);
      });

      it('answers unknown routes with problem+json', async () => {
        const res = await app.inject('/no-such-route');
        expect(res.statusCode).toBe(404);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ code: 'not_found', status: 404 });
      });
    });

    for (const dependency of spec.dependencies) {
      it(`is not ready while ${dependency} is unreachable`, async () => {
        const app = await buildFromEnv({ ...baseEnv(), ...UNREACHABLE[dependency] });
        try {
          const res = await pollReadyz(app, 503, 3_000);
          expect(res.statusCode).toBe(503);
          const body = res.json<ReadinessBody>();
          expect(body.code).toBe('not_ready');
          expect(body.checks[dependency]).not.toBe('ok');
        } finally {
          await app.close();
        }
      });
    }

    describe('deployment files', () => {
      const knownVariables = Object.keys(spec.configSchema.shape);
      const defaultPort = (spec.configSchema.parse({}) as { PORT: number }).PORT;
      const app = spec.appRoot.replace(/^apps\//, '');

      it('has its image built from the one multi-stage Dockerfile, as a non-root user', () => {
        expect(spec.appRoot).toBe(`apps/${app}`);
        const dockerfile = readDockerfile();
        expect(dockerfile, DOCKERFILE).toBeDefined();
        const stages = dockerStages(dockerfile ?? '');
        expect(stages.length).toBeGreaterThanOrEqual(2);
        expect(dockerfile).toMatch(/tools\/build-app\.mjs "?apps\/\$\{APP\}"?/);
        expect(dockerfile).toContain('dist/apps/${APP}/');
        expect(dockerfile).toMatch(/^ENV .*\bPORT=\$\{PORT\}/m);
        expect(dockerfile).toMatch(/^EXPOSE \$\{PORT\}$/m);
        // The last stage is the app's own stage, chosen by APP: it must exist and not run as root.
        expect(stages.at(-1)?.from).toBe('app-${APP}');
        expect(stages.map((s) => s.name)).toContain(`app-${app}`);
        expect(effectiveUser(stages, `app-${app}`)).not.toMatch(/^(root|0)(:|$)/);
      });

      it('is described in docker-compose.yml with its build args and variables the app reads', () => {
        const service = readCompose().services[spec.service];
        expect(service, `services.${spec.service}`).toBeDefined();
        const build = service!.build;
        expect(build?.context).toBe('.');
        expect(build?.dockerfile).toBe(DOCKERFILE);
        expect(build?.args?.APP).toBe(app);
        expect(String(build?.args?.PORT)).toBe(String(defaultPort));
        // The image listens on its PORT build arg unless the environment overrides it.
        const port = String(service!.environment?.PORT ?? build?.args?.PORT);
        if (PUBLISHED_SERVICES.includes(spec.service))
          expect(service!.ports).toEqual([`${port}:${port}`]);
        else expect(service!.ports, `${spec.service} is internal: not published`).toBeUndefined();
        const unknown = Object.keys(service!.environment ?? {}).filter(
          (v) => !knownVariables.includes(v),
        );
        expect(unknown).toEqual([]);
        expect(() => spec.configSchema.parse(service!.environment)).not.toThrow();
      });

      it('keeps the infrastructure it depends on off the host (no published ports)', () => {
        const services = readCompose().services;
        for (const dependency of spec.dependencies) {
          expect(services[dependency], `services.${dependency}`).toBeDefined();
          expect(services[dependency]?.ports, `${dependency} is published`).toBeUndefined();
        }
      });
    });

    describe('as a built artifact', () => {
      let artifact: Awaited<ReturnType<typeof buildServiceArtifact>>;
      beforeAll(async () => {
        artifact = await buildServiceArtifact(spec.appRoot);
      });
      afterAll(async () => {
        await artifact?.remove();
      });

      it('serves /healthz over HTTP and exits 0 on SIGTERM', async () => {
        const service = await startServiceProcess(artifact.entry, {
          ...infraEnv(),
          LOG_LEVEL: 'info',
        });
        const res = await fetch(`${service.url}/healthz`);
        expect(res.status).toBe(200);
        const code = await service.stop('SIGTERM');
        expect(code).toBe(0);
        expect(service.output()).toContain('"msg":"stopped"');
      });

      it('refuses to start with invalid config and names the variable', async () => {
        const result = await runToExit(artifact.entry, { ...baseEnv(), PORT: 'not-a-port' });
        expect(result.code).toBe(1);
        expect(result.output).toContain('Invalid configuration');
        expect(result.output).toContain('PORT');
      });
    });
  });
}
