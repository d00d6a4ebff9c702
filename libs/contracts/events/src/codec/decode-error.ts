export type DecodeFailure =
  'missing_headers' | 'unknown_event_type' | 'unknown_schema' | 'malformed_payload';

/** A message that cannot become an event; consumers send it to the dead-letter topic. */
export class DecodeError extends Error {
  constructor(
    readonly reason: DecodeFailure,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'DecodeError';
  }
}
