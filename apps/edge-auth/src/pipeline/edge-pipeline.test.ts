import { describe, expect, it } from 'vitest';
import type { RequestMetered } from '@tollgate/events';
import { inProcessPipeline } from '../testing/in-process-pipeline';
import { IDENTITY_HEADERS } from './edge-pipeline';

const NOW = 1_800_000_000_000;

function recordingPipeline() {
  const metered: RequestMetered[] = [];
  const kit = inProcessPipeline({
    now: NOW,
    meter: {
      record: (event) => void metered.push(event),
      flush: async () => undefined,
      close: async () => undefined,
      stats: () => ({ buffered: 0, spooled: 0 }),
    },
  });
  return { ...kit, metered };
}

describe('EdgePipeline.decide', () => {
  it('decides a key verified before, on local limits, without a promise, and meters it once', async () => {
    const { pipeline, request, metered } = recordingPipeline();

    // First sight of the key: checksum and HMAC, then the table (the promise path).
    const first = pipeline.decide(request);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).status).toBe(200);

    const again = pipeline.decide(request);
    expect(again).not.toBeInstanceOf(Promise);
    const decision = again as Awaited<typeof again>;
    expect(decision.status).toBe(200);
    expect(decision.headers[IDENTITY_HEADERS.plan]).toBeDefined();
    expect(decision.headers[IDENTITY_HEADERS.key]).toBe(metered[0]!.keyId);
    expect(decision.target).toBe('/v1/orders/1');
    expect(metered.map((e) => [e.status, e.outcome])).toEqual([
      [200, 'allowed'],
      [200, 'allowed'],
    ]);
    expect(new Set(metered.map((e) => e.eventId)).size).toBe(2);
  });

  it('answers a request without a key, or with an unknown one, through the promise path', async () => {
    const { pipeline, request, metered } = recordingPipeline();
    const missing = pipeline.decide({ ...request, headers: { host: 'localhost' } });
    expect(missing).toBeInstanceOf(Promise);
    expect(await missing).toMatchObject({ status: 401, code: 'key_missing' });

    const garbage = pipeline.decide({
      ...request,
      headers: { host: 'localhost', authorization: 'Bearer tg_live_not-a-key' },
    });
    expect(garbage).toBeInstanceOf(Promise);
    expect(await garbage).toMatchObject({ status: 401, code: 'key_invalid' });
    expect(metered.map((e) => e.outcome)).toEqual(['invalid', 'invalid']);
  });

  it('refuses a key in the query string at once, without verifying it', () => {
    const { pipeline, request, plaintext, metered } = recordingPipeline();
    const decision = pipeline.decide({ ...request, uri: `/v1/orders/1?key=${plaintext}` });
    expect(decision).not.toBeInstanceOf(Promise);
    expect(decision).toMatchObject({ status: 400, code: 'key_in_query' });
    expect(metered).toHaveLength(1);
  });
});
