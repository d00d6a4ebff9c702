import { describe, expect, it } from 'vitest';
import { encodeFrame, parseSegment, SEGMENT_MAGIC, type SpooledMessage } from './spool-format';

const messages: SpooledMessage[] = [
  {
    topic: 'tollgate.usage.v1',
    key: 'key_01JDQ3W8Y6T4K2M9N7P5R3S1V1',
    headers: { 'tg-event-type': Buffer.from('RequestMetered'), fp: Buffer.from([0, 255, 7]) },
    value: Buffer.from([1, 2, 3, 0, 255]),
  },
  { topic: 'tollgate.usage.v1', key: null, headers: {}, value: Buffer.from('no key') },
  { topic: 't', key: '', headers: { empty: Buffer.alloc(0) }, value: Buffer.alloc(0) },
  { topic: 'ü-topic', key: 'ключ', headers: {}, value: Buffer.alloc(70_000, 9) },
];

const segmentOf = (...frames: Buffer[]) => Buffer.concat([SEGMENT_MAGIC, ...frames]);

describe('spool segment format', () => {
  it('round-trips topic, null/empty/unicode keys, binary headers and values', () => {
    const parsed = parseSegment(segmentOf(...messages.map(encodeFrame)));
    expect(parsed.tail).toBe('complete');
    expect(parsed.messages).toEqual(messages);
  });

  it('accepts string header values (kafkajs allows both) and reads them back as bytes', () => {
    const frame = encodeFrame({
      topic: 't',
      key: 'k',
      headers: { h: 'v' },
      value: Buffer.from('x'),
    });
    expect(parseSegment(segmentOf(frame)).messages[0]!.headers).toEqual({ h: Buffer.from('v') });
  });

  it('an empty segment or a partly written magic is a torn tail with no messages', () => {
    for (let length = 0; length < SEGMENT_MAGIC.length; length++) {
      const parsed = parseSegment(SEGMENT_MAGIC.subarray(0, length));
      expect(parsed, `length ${length}`).toEqual({ messages: [], tail: 'torn', validBytes: 0 });
    }
    expect(parseSegment(SEGMENT_MAGIC).tail).toBe('complete');
  });

  it('ignores a final frame cut off at any byte and keeps every frame before it', () => {
    const frames = messages.slice(0, 3).map(encodeFrame);
    const whole = segmentOf(...frames);
    const lastStart = whole.length - frames[2]!.length;
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      const parsed = parseSegment(whole.subarray(0, cut));
      expect(parsed.tail, `cut at ${cut}`).toBe('torn');
      expect(parsed.messages).toEqual(messages.slice(0, 2));
      expect(parsed.validBytes).toBe(lastStart);
    }
    expect(parseSegment(whole.subarray(0, lastStart))).toMatchObject({ tail: 'complete' });
  });

  it('treats a zero-filled tail (a power loss after the file grew) as torn', () => {
    const parsed = parseSegment(segmentOf(encodeFrame(messages[0]!), Buffer.alloc(4096)));
    expect(parsed.tail).toBe('torn');
    expect(parsed.messages).toEqual([messages[0]]);
  });

  it('stops at a frame whose checksum does not match and reports corruption', () => {
    const frames = messages.slice(0, 3).map(encodeFrame);
    const damaged = segmentOf(...frames);
    const secondBody = SEGMENT_MAGIC.length + frames[0]!.length + 8;
    damaged[secondBody + 3]! ^= 0x40;
    const parsed = parseSegment(damaged);
    expect(parsed.tail).toBe('corrupt');
    expect(parsed.messages).toEqual([messages[0]]);
    expect(parsed.validBytes).toBe(SEGMENT_MAGIC.length + frames[0]!.length);
  });

  it('rejects a file that is not a spool segment', () => {
    expect(parseSegment(Buffer.from('{"not":"a spool"}')).tail).toBe('corrupt');
    expect(parseSegment(Buffer.from('TGSP0')).tail).toBe('corrupt');
  });

  it('reports an absurd length prefix as corruption, not as a torn tail', () => {
    const bogus = Buffer.alloc(12, 0xff);
    expect(parseSegment(segmentOf(encodeFrame(messages[1]!), bogus))).toMatchObject({
      tail: 'corrupt',
      messages: [messages[1]],
    });
  });
});
