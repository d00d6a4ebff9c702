import { pino, type DestinationStream, type Logger } from 'pino';
import { maskKeyShapedValues, REDACTED, REDACTED_PATHS } from './redaction';

export interface LoggerOptions {
  service: string;
  level: string;
  /** Where lines go; stdout by default. Tests pass a stream to inspect what was logged. */
  destination?: DestinationStream;
}

export function createLogger({ service, level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: maskKeyShapedValues },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
