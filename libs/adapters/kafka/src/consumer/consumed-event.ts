import type { TollgateEvent } from '@tollgate/events';

/** A decoded event with where it came from. */
export interface ConsumedEvent {
  event: TollgateEvent;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** Kafka record timestamp, epoch ms. */
  timestamp: number;
}

export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}
