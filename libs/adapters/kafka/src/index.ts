export {
  createKafkaConnection,
  type KafkaConnection,
  type KafkaConnectionOptions,
} from './kafka-connection';
export { kafkaLogCreator, type KafkaLogSink } from './kafka-logging';
