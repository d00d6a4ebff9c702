export {
  createKafkaConnection,
  type KafkaConnection,
  type KafkaConnectionOptions,
} from './kafka-connection';
export {
  kafkaConnectivityMetrics,
  kafkaLogCreator,
  type KafkaLogOptions,
  type KafkaLogSink,
} from './kafka-logging';
export { kafkaMetrics, type KafkaMetrics } from './kafka-metrics';
export {
  provisionTopics,
  TopicConfigMismatchError,
  type ProvisionOptions,
} from './topics/provision-topics';
export {
  BatchingProducer,
  type BatchingProducerOptions,
  type OutgoingMessage,
} from './producer/batching-producer';
export { EventPublisher } from './producer/event-publisher';
export type { ConsumedEvent, RawMessage } from './consumer/consumed-event';
export { DEAD_LETTER_HEADERS, DeadLetterSink, type DeadLetter } from './consumer/dead-letters';
export {
  EventConsumer,
  type BatchContext,
  type EventConsumerOptions,
} from './consumer/event-consumer';
export {
  TableReader,
  type ResumePoint,
  type TablePosition,
  type TableReaderOptions,
} from './consumer/table-reader';
export {
  BLOB_PARTITIONS,
  BlobUnavailable,
  publishBlob,
  readLatestBlob,
  type BlobManifest,
  type BlobPublishOptions,
  type BlobReadOptions,
} from './blob-topic/blob-topic';
