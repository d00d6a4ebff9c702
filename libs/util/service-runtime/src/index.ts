export { ConfigError, loadConfig } from './config/load-config';
export * as env from './config/env-fields';
export { createLogger, type LoggerOptions } from './logging/logger';
export { maskKeyShapedValues, REDACTED, REDACTED_PATHS } from './logging/redaction';
export { ERROR_STATUS, type ErrorCode } from './http/error-codes';
export { PROBLEM_CONTENT_TYPE, ProblemError, toProblem, type Problem } from './http/problem';
export { sendProblem, type ErrorMapper } from './http/error-handler';
export { createHttpServer, type HttpServerOptions } from './http/create-http-server';
export { clientIpResolver, type FastLane } from './http/fast-lane';
export { requestIdFrom } from './http/request-id';
export { checkReadiness, type Dependency, type ReadinessResult } from './lifecycle/dependency';
export {
  exitOnStartupError,
  runService,
  type ListenConfig,
  type RunServiceOptions,
} from './lifecycle/run-service';
export { createServiceMetrics, type ServiceMetrics } from './metrics/metrics';
export { registerOpenApi } from './http/open-api';
export { idSchemas } from './http/schemas/ids';
export { epochMs, isoMinute, isoMonth } from './http/schemas/time';
export { pageQuery } from './http/schemas/pagination';
export { INT32_MAX, positiveInt32, SAFE_TEXT_PATTERN, safeText } from './http/schemas/text';
export { nullable } from './http/schemas/nullable';
export { problemSchema } from './http/schemas/problem';
export {
  installServiceAuth,
  type ServiceAuthOptions,
  type ServiceRoute,
} from './http/service-auth';
