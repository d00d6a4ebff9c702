export * from './generated/event-types';
export { EventCodec, type EncodedEvent, type WriterSchema } from './codec/event-codec';
export { DecodeError, type DecodeFailure } from './codec/decode-error';
export { createEnvelope, newEventId } from './codec/envelope';
export { CURRENT_SCHEMAS, RELEASED_SCHEMAS } from './generated/event-schemas';
export {
  EVENT_TYPE_HEADER,
  EVENT_TYPES,
  isEventType,
  SCHEMA_FINGERPRINT_HEADER,
  type EventEnvelope,
  type EventType,
  type TollgateEvent,
} from './codec/event-types';
export {
  batchMessageKey,
  messageKeyOf,
  topicOf,
  TOPICS,
  type TopicName,
  type TopicSpec,
} from './topics/topic-registry';
export { ID_PATTERNS, ID_PREFIXES, isId, newId, type IdKind } from './ids';
export {
  PLAN_BOUNDS,
  planDefinitionProblem,
  planSnapshotProblem,
  type PlanDefinitionInput,
  type PlanLimitsInput,
  type PlanPriceInput,
  type PlanProblem,
} from './plans/validate-plan';
