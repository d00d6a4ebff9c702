import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import {
  createKafkaConnection,
  kafkaConnectivityMetrics,
  type KafkaConnection,
} from '@tollgate/kafka';
import {
  connectDatabase,
  databaseDependency,
  startupTask,
  type Database,
  type OrmOptions,
} from '@tollgate/postgres';
import {
  createHttpServer,
  createLogger,
  createServiceMetrics,
  env,
  installServiceAuth,
  ProblemError,
  registerOpenApi,
  type Dependency,
  type ErrorMapper,
  type ServiceAuthOptions,
  type ServiceMetrics,
} from '@tollgate/service-runtime';

/** What every app's `buildApp` takes: its parsed config, and for tests a logger and a clock. */
export interface ServiceDeps<C> {
  config: C;
  /** Tests pass one that captures lines; otherwise pino to stdout at `LOG_LEVEL`. */
  logger?: Logger;
  /** Epoch-ms clock for everything time-dependent in the app; tests choose the time. */
  now?: () => number;
}

/** The config fields (from `env.serviceEnv` and friends) the base reads itself. */
export interface ServiceConfig extends env.KafkaSecurityConfig {
  LOG_LEVEL: string;
  READINESS_TIMEOUT_MS: number;
  BODY_LIMIT_BYTES: number;
  /** Required with `postgres`. */
  DATABASE_URL?: string;
  /** Required with `postgres`: the app's own schema. */
  DATABASE_SCHEMA?: string;
  /** Required with `kafka`. */
  KAFKA_BROKERS?: readonly string[];
  /** Read with `serviceAuth`. */
  SERVICE_TOKENS?: env.ServiceTokens | undefined;
}

export interface CreateServiceOptions {
  /** The app's name: logger `service` field, metric label, Kafka client id. */
  name: string;
  config: ServiceConfig;
  /** Tests pass a logger that captures lines; otherwise pino to stdout at `LOG_LEVEL`. */
  logger?: Logger | undefined;
  /**
   * The app's committed migrations for its own schema (`DATABASE_SCHEMA` at `DATABASE_URL`). They
   * run in the background under an advisory lock (replicas take turns); `/readyz` fails and
   * `/v1/*` answers 503 until done.
   */
  postgres?: { migrations: OrmOptions['migrations'] };
  /** Connect to `KAFKA_BROKERS`. */
  kafka?: true;
  /** Serves `/openapi.json` (and its UI) from the schemas of the routes registered afterwards. */
  openApi?: { title: string; description: string };
  bodyLimitBytes?: number;
  mapError?: ErrorMapper;
  trustProxy?: boolean | string | string[];
  extraMetrics?: () => Promise<string>;
  /** Lets the app install a raw handler for its hot path in front of Fastify (`app.setFastLane`). */
  fastLane?: boolean;
  /**
   * Internal apps: which callers (by service credential) may use which `/v1` routes. The
   * credentials come from `SERVICE_TOKENS`; without it (development only) the check is off.
   */
  serviceAuth?: Omit<ServiceAuthOptions, 'tokens'>;
}

export interface Service<O extends CreateServiceOptions = CreateServiceOptions> {
  app: FastifyInstance;
  logger: Logger;
  metrics: ServiceMetrics;
  db: O extends { postgres: object } ? Database : undefined;
  kafka: O extends { kafka: true } ? KafkaConnection : undefined;
  /**
   * Adds an app-owned dependency: checked by `/readyz`, closed when the app closes. Dependencies
   * close in reverse order of addition, so what an app adds closes before the base's Kafka and
   * Postgres (a consumer stops before its connection goes).
   */
  use(dependency: Dependency): void;
  /** True once the schema is migrated and the after-migrate work finished (always true without Postgres). */
  readonly migrated: boolean;
  /** Work that needs the migrated schema (seeding, consumers): runs once, after migrations, under their lock. */
  afterMigrate(task: () => Promise<void>): void;
}

/**
 * What every app's `buildApp` starts from: logger, metrics, the HTTP server with health,
 * readiness, metrics and problem+json errors, the app's own Postgres schema with its migrations,
 * an optional Kafka connection, and ordered shutdown of all of it.
 */
export async function createService<const O extends CreateServiceOptions>(
  options: O,
): Promise<Service<O>> {
  const logger =
    options.logger ?? createLogger({ service: options.name, level: options.config.LOG_LEVEL });
  const metrics = createServiceMetrics(options.name);
  const dependencies: Dependency[] = [];
  const afterMigrate: Array<() => Promise<void>> = [];

  const { config } = options;
  let db: Database | undefined;
  let schema: ReturnType<typeof startupTask> | undefined;
  if (options.postgres) {
    const { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schemaName } = config;
    if (!databaseUrl || !schemaName)
      throw new Error(`${options.name}: postgres needs DATABASE_URL and DATABASE_SCHEMA in config`);
    const connected = await connectDatabase({
      databaseUrl,
      schema: schemaName,
      migrations: options.postgres.migrations,
    });
    db = connected.db;
    schema = startupTask({
      orm: connected.orm,
      databaseUrl,
      schema: schemaName,
      afterMigrate: async () => {
        for (const task of afterMigrate) await task();
      },
      log: logger,
    });
    dependencies.push(databaseDependency(db));
  }
  if (options.kafka && !config.KAFKA_BROKERS)
    throw new Error(`${options.name}: kafka needs KAFKA_BROKERS in config`);
  const kafka =
    config.KAFKA_BROKERS && options.kafka
      ? createKafkaConnection({
          brokers: config.KAFKA_BROKERS,
          clientId: options.name,
          log: logger.child({ component: 'kafka' }),
          ...env.kafkaClientSecurity(config),
        })
      : undefined;
  if (kafka) {
    dependencies.push(kafka);
    // Kafka outages are logged once per state change; these say what the clients see meanwhile.
    kafkaConnectivityMetrics(metrics.registry);
  }
  if (schema) dependencies.push(schema);

  const app = await createHttpServer({
    service: options.name,
    logger,
    metrics,
    dependencies,
    readinessTimeoutMs: config.READINESS_TIMEOUT_MS,
    bodyLimitBytes: options.bodyLimitBytes ?? config.BODY_LIMIT_BYTES,
    ...(options.mapError ? { mapError: options.mapError } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.extraMetrics ? { extraMetrics: options.extraMetrics } : {}),
    ...(options.fastLane ? { fastLane: true } : {}),
  });
  if (schema) {
    const migrations = schema;
    app.addHook('onReady', async () => migrations.start());
    app.addHook('preHandler', async (request) => {
      if (!migrations.done && request.url.startsWith('/v1/')) {
        throw new ProblemError(
          'dependency_unavailable',
          `${options.name} is still starting: its database schema is not ready`,
        );
      }
    });
  }
  if (options.serviceAuth)
    installServiceAuth(app, { ...options.serviceAuth, tokens: config.SERVICE_TOKENS });
  if (options.openApi) await registerOpenApi(app, options.openApi);

  return {
    app,
    logger,
    metrics,
    db: db as Service<O>['db'],
    kafka: kafka as Service<O>['kafka'],
    get migrated() {
      return schema?.done ?? true;
    },
    use: (dependency) => void dependencies.push(dependency),
    afterMigrate: (task) => void afterMigrate.push(task),
  };
}
