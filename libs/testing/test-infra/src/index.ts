export { isPortOpen, requireService, testEndpoints, type TestEndpoints } from './endpoints';
export { createTestKafka, type TestKafka } from './kafka-topics';
export { createTestSchema, type TestSchema } from './postgres-schema';
export { createTestRedis, type TestRedis } from './redis-prefix';
export {
  describeServiceContract,
  infraEnv,
  type InfraDependency,
  type ServiceContractSpec,
} from './service-contract';
export {
  buildServiceArtifact,
  bundleScript,
  runToExit,
  startServiceProcess,
  type ExitedProcess,
  type ServiceProcess,
} from './service-process';
export { uniqueName } from './unique-name';
export { workspaceRoot } from './workspace-root';
export { isolatedServiceEnv, type IsolatedServiceEnv } from './isolated-service-env';
export { describeOpenApiDocument, openApiErrors, type OpenApiSpec } from './open-api';
export { captureLogs, waitUntilReady } from './app-under-test';
export { eventually } from './eventually';
export { freePort, freePorts } from './free-ports';
export { createPrivateBroker, type PrivateBroker } from './private-broker';
export { startRedis, stopRedis } from './private-redis';
export * from './http-fuzz';
export { startSaslBroker, type SaslBroker } from './sasl-broker';
export { startRedisCluster, type TestRedisCluster } from './redis-cluster';
