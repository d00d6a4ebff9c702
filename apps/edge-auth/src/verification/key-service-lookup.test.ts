import { describe, expect, it } from 'vitest';
import type { BudgetUse, ClientBudget } from './client-budget';
import { KeyServiceLookup } from './key-service-lookup';

/** Counts per client, never expiring: the window plays no part here. */
function countingBudget(): ClientBudget {
  const counts = new Map<string, number>();
  const use = (client: string): BudgetUse => ({ count: counts.get(client) ?? 0, resetMs: 30_000 });
  return {
    peek: (client) => Promise.resolve(use(client)),
    increment: (client) => {
      counts.set(client, (counts.get(client) ?? 0) + 1);
      return Promise.resolve(use(client));
    },
  };
}

/** key-service answering 404 to every lookup once the test releases it. */
function heldKeyService() {
  const calls: string[] = [];
  const held: Array<() => void> = [];
  const fetch = ((_url: URL, init: RequestInit) => {
    calls.push(init.body as string);
    return new Promise<Response>((resolve) =>
      held.push(() => resolve(new Response(null, { status: 404 }))),
    );
  }) as typeof globalThis.fetch;
  return {
    fetch,
    calls,
    release: () => {
      for (const answer of held.splice(0)) answer();
    },
  };
}

function lookupWith(keyService: ReturnType<typeof heldKeyService>, perClientPerMinute = 100) {
  return new KeyServiceLookup({
    baseUrl: 'http://key-service.invalid',
    timeoutMs: 10_000,
    concurrency: 4,
    negativeTtlMs: 5_000,
    perClient: countingBudget(),
    perClientPerMinute,
    fetch: keyService.fetch,
  });
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyServiceLookup', () => {
  it('shares one request among concurrent lookups of one key, whatever the budget awaits', async () => {
    const keyService = heldKeyService();
    const lookup = lookupWith(keyService);
    const answers = Promise.all(
      Array.from({ length: 20 }, (_, i) => lookup.lookup('aa'.repeat(32), 1, `10.0.0.${i}`)),
    );
    await flush();
    expect(keyService.calls).toHaveLength(1);
    keyService.release();
    expect(new Set((await answers).map((a) => a.kind))).toEqual(new Set(['not_found']));
    // Then from the negative cache.
    expect(await lookup.lookup('aa'.repeat(32), 1, '10.0.0.99')).toEqual({ kind: 'not_found' });
    expect(keyService.calls).toHaveLength(1);
  });

  it("does not pass one client's budget refusal on to another client that joined it", async () => {
    const keyService = heldKeyService();
    const lookup = lookupWith(keyService, 1);
    const first = lookup.lookup('bb'.repeat(32), 1, '10.0.0.1');
    await flush();
    keyService.release();
    expect(await first).toEqual({ kind: 'not_found' });
    // 10.0.0.1 has spent its one lookup; 10.0.0.2 joins its (refused) lookup of another key.
    const refused = lookup.lookup('cc'.repeat(32), 1, '10.0.0.1');
    const other = lookup.lookup('cc'.repeat(32), 1, '10.0.0.2');
    expect(await refused).toEqual({ kind: 'client_limited', retryAfterMs: 30_000 });
    await flush();
    keyService.release();
    expect(await other).toEqual({ kind: 'not_found' });
    expect(keyService.calls).toHaveLength(2);
  });
});
