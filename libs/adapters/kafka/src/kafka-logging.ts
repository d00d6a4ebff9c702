import { logLevel, type logCreator } from 'kafkajs';

export interface KafkaLogSink {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Routes kafkajs's own log lines into our structured logger (and so through its redaction). */
export function kafkaLogCreator(sink: KafkaLogSink): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const fields = { component: 'kafkajs', ...extra };
      switch (level) {
        case logLevel.ERROR:
          sink.error(fields, message);
          break;
        case logLevel.WARN:
          sink.warn(fields, message);
          break;
        case logLevel.INFO:
          sink.info(fields, message);
          break;
        default:
          sink.debug(fields, message);
      }
    };
}
