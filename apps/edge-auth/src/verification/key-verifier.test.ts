import { describe, expect, it } from 'vitest';
import { generateApiKey, KeyHasher } from '@tollgate/api-keys';
import { type KeyState, type PlanSnapshot } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import { KeyTable } from '../key-table/key-table';
import { UNMATCHED_ENDPOINT } from '../routing/endpoint-map';
import { inProcessVerifier } from '../testing/in-process-pipeline';

const PEPPER_V1 = { version: 1, secret: 'one'.padEnd(40, '1') };
const PEPPER_V2 = { version: 2, secret: 'two'.padEnd(40, '2') };
const NOW = 1_800_000_000_000;
const plan: PlanSnapshot = sampleEvent('PlanChanged').plan;

function setup(options: { fetch?: typeof fetch; failedLimit?: number } = {}) {
  const hasher = new KeyHasher([PEPPER_V1, PEPPER_V2]);
  const table = new KeyTable();
  const calls: string[] = [];
  const fetchStub: typeof fetch =
    options.fetch ??
    (async (_url, init) => {
      calls.push(typeof init?.body === 'string' ? init.body : '');
      return new Response('{}', { status: 404 });
    });
  const verifier = inProcessVerifier({
    table,
    hasher,
    now: NOW,
    fetch: fetchStub,
    ...(options.failedLimit !== undefined ? { failedAttemptsLimit: options.failedLimit } : {}),
  });
  function issue(pepper = PEPPER_V2, overrides: Partial<KeyState> = {}) {
    const { plaintext } = generateApiKey({ env: 'live' });
    const key: KeyState = {
      ...sampleEvent('KeyIssued').key,
      keyHash: new KeyHasher([pepper]).hash(plaintext).hash,
      pepperVersion: pepper.version,
      expiresAt: null,
      ...overrides,
    };
    table.applyKey(key, null);
    table.applyPlan(key.accountId, plan, NOW - 1, NOW);
    return { plaintext, key };
  }
  const verify = (plaintext: string, ip = '1.2.3.4', at = NOW) =>
    verifier.verify({ kind: 'key', key: plaintext }, UNMATCHED_ENDPOINT, { clientIp: ip }, at);
  return { table, verifier, issue, verify, calls };
}

describe('KeyVerifier', () => {
  it('finds keys hashed under any configured pepper', async () => {
    const { issue, verify } = setup();
    expect((await verify(issue(PEPPER_V1).plaintext)).ok).toBe(true);
    expect((await verify(issue(PEPPER_V2).plaintext)).ok).toBe(true);
  });

  it('keeps a revocation through later updates and honours its effective time', async () => {
    const { table, issue, verify } = setup();
    const { plaintext, key } = issue();
    table.applyKey(key, { effectiveAt: NOW + 1_000 });
    expect((await verify(plaintext)).ok).toBe(true);
    table.applyKey({ ...key, scopes: ['x'] }, null);
    expect(await verify(plaintext, '1.2.3.4', NOW + 1_000)).toMatchObject({ code: 'key_revoked' });
  });

  it('revokes a key at once even when it verified (and was remembered) a moment ago', async () => {
    const { table, issue, verify } = setup();
    const { plaintext, key } = issue();
    expect((await verify(plaintext)).ok).toBe(true);
    expect((await verify(plaintext)).ok).toBe(true); // from the verified-key cache
    table.applyKey(key, { effectiveAt: NOW });
    expect(await verify(plaintext)).toMatchObject({ code: 'key_revoked' });
    // A suspension and a scope change reach a remembered key too.
    const other = issue();
    expect((await verify(other.plaintext)).ok).toBe(true);
    table.applyAccountStatus(other.key.accountId, true);
    expect(await verify(other.plaintext)).toMatchObject({ code: 'account_suspended' });
  });

  it('remembers only keys it found: an unknown key is counted as a failure every time', async () => {
    const { verify, calls } = setup({ failedLimit: 2 });
    const unknown = generateApiKey({ env: 'live' }).plaintext;
    for (let i = 0; i < 2; i++)
      expect(await verify(unknown)).toMatchObject({ code: 'key_invalid' });
    expect(await verify(unknown)).toMatchObject({ code: 'auth_attempts_exceeded' });
    expect(calls.length).toBeGreaterThanOrEqual(1);
  });

  it('switches to a future plan when it comes due', async () => {
    const { table, issue, verify } = setup();
    const { plaintext, key } = issue();
    table.applyPlan(key.accountId, { ...plan, version: 99 }, NOW + 5_000, NOW);
    expect(await verify(plaintext)).toMatchObject({ ok: true, plan: { version: plan.version } });
    expect(await verify(plaintext, '1.2.3.4', NOW + 5_000)).toMatchObject({
      ok: true,
      plan: { version: 99 },
    });
  });

  it('refuses a client after too many invalid keys, but still checks a key it holds first', async () => {
    const { issue, verify } = setup({ failedLimit: 3 });
    const valid = issue().plaintext;
    for (let i = 0; i < 3; i++)
      expect(await verify('tg_live_nope')).toMatchObject({ code: 'key_invalid' });
    expect(await verify('tg_live_nope')).toMatchObject({
      code: 'auth_attempts_exceeded',
      retryAfterMs: 60_000,
    });
    // Behind a proxy many clients share one address: a valid key is never refused for the others.
    expect((await verify(valid)).ok).toBe(true);
    // A key the edge does not hold would cost a lookup: that is what the budget refuses.
    expect(await verify(generateApiKey({ env: 'live' }).plaintext)).toMatchObject({
      code: 'auth_attempts_exceeded',
    });
    expect((await verify(valid, '5.6.7.8')).ok).toBe(true);
  });

  it('does not let a lookup answer with a plan outside the shared bounds into the table', async () => {
    const hasher = new KeyHasher([PEPPER_V2]);
    const { plaintext } = generateApiKey({ env: 'live' });
    const key = {
      ...sampleEvent('KeyIssued').key,
      keyHash: hasher.hash(plaintext).hash,
      pepperVersion: 2,
      expiresAt: null,
    };
    const poison = { ...plan, rateLimits: [{ name: 'huge', limit: 1e13, windowMs: 1_000 }] };
    const { verify } = setup({
      fetch: async () =>
        Response.json({ key, revocation: null, accountStatus: 'active', plan: poison }),
    });
    expect(await verify(plaintext)).toMatchObject({ code: 'dependency_unavailable' });
  });

  it('asks key-service once per unknown key, then remembers the answer', async () => {
    const { verify, calls } = setup();
    const unknown = generateApiKey({ env: 'live' }).plaintext;
    expect(await verify(unknown)).toMatchObject({ code: 'key_invalid' });
    expect(await verify(unknown)).toMatchObject({ code: 'key_invalid' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).not.toContain(unknown);
  });

  it('reports an unreachable key-service as 503, not as an invalid key', async () => {
    const { verify } = setup({
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    expect(await verify(generateApiKey({ env: 'live' }).plaintext)).toMatchObject({
      code: 'dependency_unavailable',
    });
  });

  it('does not let a lookup answer overwrite newer event state', async () => {
    const hasher = new KeyHasher([PEPPER_V2]);
    const { plaintext } = generateApiKey({ env: 'live' });
    const base = sampleEvent('KeyIssued').key;
    const key = {
      ...base,
      keyHash: hasher.hash(plaintext).hash,
      pepperVersion: 2,
      expiresAt: null,
    };
    const holder: { table?: KeyTable } = {};
    const ctx = setup({
      fetch: async () => {
        // The revocation event lands while the lookup is in flight.
        holder.table!.applyKey(key, { effectiveAt: NOW - 1 });
        return Response.json({ key, revocation: null, accountStatus: 'active', plan });
      },
    });
    holder.table = ctx.table;
    expect(await ctx.verify(plaintext)).toMatchObject({ code: 'key_revoked' });
  });
});
