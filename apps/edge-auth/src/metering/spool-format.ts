import { crc32 } from 'node:zlib';

/**
 * The spool's on-disk format. A segment is the 8-byte magic followed by frames; a frame is
 * `u32 bodyLength | u32 crc32(body) | body`, big-endian, and a body holds one Kafka message:
 *
 *   u16 topicLength, topic (utf8)
 *   u32 keyLength (0xFFFFFFFF: null key), key (utf8)
 *   u16 headerCount, then per header: u16 nameLength, name (utf8), u32 valueLength, value
 *   u32 valueLength, value (the Avro bytes exactly as first encoded)
 *
 * Frames are only ever appended. A crash mid-write leaves an incomplete last frame (or, after a
 * power loss on some filesystems, a zero-filled tail): that is a torn tail, and it holds only
 * bytes that were never reported durable. Anything else that fails to parse is corruption.
 */
export interface SpooledMessage {
  topic: string;
  key: string | null;
  headers: Record<string, Buffer>;
  value: Buffer;
}

export interface ParsedSegment {
  messages: SpooledMessage[];
  /** `complete`: every byte parsed; `torn`: an interrupted final write was ignored; `corrupt`: unreadable bytes follow the messages. */
  tail: 'complete' | 'torn' | 'corrupt';
  /** Bytes from the start of the segment through the last good frame. */
  validBytes: number;
}

export const SEGMENT_MAGIC = Buffer.from('TGSPOOL1', 'latin1');
const FRAME_HEADER_BYTES = 8;
const NULL_KEY = 0xffff_ffff;
/** No usage event comes near this; a larger length prefix is damage, not data. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export function encodeFrame(message: {
  topic: string;
  key: string | null;
  headers?: Record<string, Buffer | string>;
  value: Buffer;
}): Buffer {
  const topic = Buffer.from(message.topic);
  const key = message.key === null ? null : Buffer.from(message.key);
  const headers = Object.entries(message.headers ?? {}).map(
    ([name, value]) => [Buffer.from(name), Buffer.from(value)] as const,
  );
  if (topic.length > 0xffff || headers.length > 0xffff)
    throw new RangeError('topic name or header count too large for the spool format');
  let bodyLength = 2 + topic.length + 4 + (key?.length ?? 0) + 2 + 4 + message.value.length;
  for (const [name, value] of headers) {
    if (name.length > 0xffff) throw new RangeError('header name too long for the spool format');
    bodyLength += 2 + name.length + 4 + value.length;
  }
  if (bodyLength > MAX_BODY_BYTES) throw new RangeError('message too large for the spool format');

  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyLength);
  let at = FRAME_HEADER_BYTES;
  at = frame.writeUInt16BE(topic.length, at);
  at += topic.copy(frame, at);
  at = frame.writeUInt32BE(key ? key.length : NULL_KEY, at);
  if (key) at += key.copy(frame, at);
  at = frame.writeUInt16BE(headers.length, at);
  for (const [name, value] of headers) {
    at = frame.writeUInt16BE(name.length, at);
    at += name.copy(frame, at);
    at = frame.writeUInt32BE(value.length, at);
    at += value.copy(frame, at);
  }
  at = frame.writeUInt32BE(message.value.length, at);
  message.value.copy(frame, at);
  const body = frame.subarray(FRAME_HEADER_BYTES);
  frame.writeUInt32BE(bodyLength, 0);
  frame.writeUInt32BE(crc32(body), 4);
  return frame;
}

export function parseSegment(segment: Buffer): ParsedSegment {
  const messages: SpooledMessage[] = [];
  if (segment.length < SEGMENT_MAGIC.length) {
    const torn = SEGMENT_MAGIC.subarray(0, segment.length).equals(segment) || isZero(segment);
    return { messages, tail: torn ? 'torn' : 'corrupt', validBytes: 0 };
  }
  if (!segment.subarray(0, SEGMENT_MAGIC.length).equals(SEGMENT_MAGIC))
    return { messages, tail: isZero(segment) ? 'torn' : 'corrupt', validBytes: 0 };

  let at = SEGMENT_MAGIC.length;
  while (at < segment.length) {
    const rest = segment.subarray(at);
    if (rest.length < FRAME_HEADER_BYTES) return end(messages, at, 'torn');
    const bodyLength = rest.readUInt32BE(0);
    if (bodyLength === 0 || bodyLength > MAX_BODY_BYTES)
      return end(messages, at, isZero(rest) ? 'torn' : 'corrupt');
    if (rest.length < FRAME_HEADER_BYTES + bodyLength) return end(messages, at, 'torn');
    const body = rest.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + bodyLength);
    if (crc32(body) !== rest.readUInt32BE(4)) return end(messages, at, 'corrupt');
    const message = decodeBody(body);
    if (!message) return end(messages, at, 'corrupt');
    messages.push(message);
    at += FRAME_HEADER_BYTES + bodyLength;
  }
  return end(messages, at, 'complete');
}

function end(
  messages: SpooledMessage[],
  validBytes: number,
  tail: ParsedSegment['tail'],
): ParsedSegment {
  return { messages, tail, validBytes };
}

function isZero(bytes: Buffer): boolean {
  return bytes.every((b) => b === 0);
}

/** Undefined when the lengths inside a checksummed body do not add up (a writer bug, not a torn write). */
function decodeBody(body: Buffer): SpooledMessage | undefined {
  let at = 0;
  const take = (length: number): Buffer | undefined => {
    if (at + length > body.length) return undefined;
    const bytes = body.subarray(at, at + length);
    at += length;
    return bytes;
  };
  const u16 = () => (at + 2 <= body.length ? ((at += 2), body.readUInt16BE(at - 2)) : undefined);
  const u32 = () => (at + 4 <= body.length ? ((at += 4), body.readUInt32BE(at - 4)) : undefined);

  const topicLength = u16();
  const topic = topicLength === undefined ? undefined : take(topicLength);
  const keyLength = u32();
  if (!topic || keyLength === undefined) return undefined;
  const key = keyLength === NULL_KEY ? null : take(keyLength);
  const headerCount = u16();
  if (key === undefined || headerCount === undefined) return undefined;
  const headers: Record<string, Buffer> = {};
  for (let i = 0; i < headerCount; i++) {
    const nameLength = u16();
    const name = nameLength === undefined ? undefined : take(nameLength);
    const valueLength = u32();
    const value = valueLength === undefined ? undefined : take(valueLength);
    if (!name || !value) return undefined;
    headers[name.toString()] = Buffer.from(value);
  }
  const valueLength = u32();
  const value = valueLength === undefined ? undefined : take(valueLength);
  if (!value || at !== body.length) return undefined;
  return {
    topic: topic.toString(),
    key: key === null ? null : key.toString(),
    headers,
    // Copies, so a parsed message does not pin the whole segment buffer in memory.
    value: Buffer.from(value),
  };
}
