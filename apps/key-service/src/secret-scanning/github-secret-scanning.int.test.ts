import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyHasher } from '@tollgate/api-keys';
import { peppersOf } from '../config';
import { githubAlertSigner } from '../testing/github-secret-scanning';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
} from '../testing/key-service-test-kit';

const PATH = '/webhooks/github/secret-scanning';
const HOUR = 3_600_000;
const T0 = Date.UTC(2030, 4, 1, 8, 0, 0);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const TOKEN_TYPE = 'tollgate_api_key';

interface KeyBody {
  keyId: string;
  status: string;
  revocation: { reason: string; effectiveAt: string } | null;
}

describe('GitHub secret scanning receiver (real Postgres + Kafka)', () => {
  const github = githubAlertSigner();
  let ks: KeyServiceUnderTest;
  let clock = T0;
  beforeAll(async () => {
    ks = await startKeyService(github.env, { now: () => clock });
  });
  afterAll(async () => {
    await ks?.close();
  });

  const post = (url: string, payload: object = {}) =>
    ks.app.inject({ method: 'POST', url, payload });
  const getKey = async (keyId: string) =>
    (await ks.app.inject(`/v1/keys/${keyId}`)).json<KeyBody>();
  const send = (body: string | object) => {
    const { headers, payload } = github.alert(body);
    return ks.app.inject({ method: 'POST', url: PATH, headers, payload });
  };
  async function issue(accountId: string) {
    const res = await post(`/v1/accounts/${accountId}/keys`, { env: 'live' });
    return res.json<{ key: KeyBody; plaintext: string }>();
  }
  async function newAccount() {
    return (await post('/v1/accounts', { name: 'Leaky' })).json<{ accountId: string }>().accountId;
  }

  it('revokes every reported live key at once, records it, publishes KeyRevoked(leaked), and labels each token', async () => {
    clock = T0;
    const accountId = await newAccount();
    const live = await issue(accountId);
    const rotating = await issue(accountId);
    const retired = await issue(accountId);
    const untouched = await issue(accountId);
    const rotated = await post(`/v1/keys/${rotating.key.keyId}/rotate`, { graceMs: 24 * HOUR });
    const replacement = rotated.json<{ key: KeyBody }>().key;
    await post(`/v1/keys/${retired.key.keyId}/revoke`, { reason: 'retired' });

    clock = T0 + HOUR;
    const badChecksum = `${live.plaintext.slice(0, -1)}${live.plaintext.endsWith('0') ? '1' : '0'}`;
    const otherPrefix = live.plaintext.replace(/^tg_/, 'zz_');
    const unknown = 'tg_live_' + 'A'.repeat(27);
    const alert = [live, rotating, retired].map((k) => ({
      token: k.plaintext,
      type: TOKEN_TYPE,
      url: `https://github.com/octo/app/blob/abc/.env#${k.key.keyId}`,
      source: 'content',
    }));
    const falsePositives = [badChecksum, otherPrefix, unknown, 'not a key at all'];
    const res = await send([
      ...alert,
      ...falsePositives.map((token) => ({ token, type: TOKEN_TYPE, url: 'https://x' })),
      // GitHub may report the same token twice in one alert (two files): one verdict.
      alert[0],
    ]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual([
      ...alert.map((a) => ({
        token_hash: sha256(a.token),
        token_type: TOKEN_TYPE,
        label: 'true_positive',
      })),
      ...falsePositives.map((token) => ({
        token_hash: sha256(token),
        token_type: TOKEN_TYPE,
        label: 'false_positive',
      })),
    ]);
    expect(res.body).not.toContain(live.plaintext);

    const leakedAt = new Date(T0 + HOUR).toISOString();
    for (const key of [live, rotating])
      expect(await getKey(key.key.keyId)).toMatchObject({
        status: 'revoked',
        revocation: { reason: 'leaked', effectiveAt: leakedAt },
      });
    // Already not working: left as it was, but the report is recorded.
    expect(await getKey(retired.key.keyId)).toMatchObject({
      status: 'revoked',
      revocation: { reason: 'retired' },
    });
    expect((await getKey(untouched.key.keyId)).status).toBe('active');
    expect((await getKey(replacement.keyId)).status).toBe('active');

    // edge-auth's lookup sees the revocation too.
    const { hash, pepperVersion } = new KeyHasher(peppersOf(ks.config)).hash(live.plaintext);
    const lookup = await post('/v1/key-lookups', { keyHash: hash, pepperVersion });
    expect(lookup.json()).toMatchObject({
      revocation: { reason: 'leaked', effectiveAt: T0 + HOUR },
    });

    const rows = await ks.db.sql.query<{
      key_id: string;
      account_id: string;
      outcome: string;
      source: string;
      token_type: string;
      found_at_url: string;
      found_in: string;
    }>('select * from leaked_key_reports order by report_id');
    expect(rows).toEqual([
      expect.objectContaining({
        key_id: live.key.keyId,
        account_id: accountId,
        outcome: 'revoked',
        source: 'github',
        token_type: TOKEN_TYPE,
        found_at_url: alert[0]!.url,
        found_in: 'content',
      }),
      expect.objectContaining({ key_id: rotating.key.keyId, outcome: 'revoked' }),
      expect.objectContaining({ key_id: retired.key.keyId, outcome: 'already_revoked' }),
    ]);
    expect(JSON.stringify(rows)).not.toContain(live.plaintext);

    const collector = await collectTopics([ks.keysTopic]);
    try {
      const leaked = () =>
        collector.events.flatMap((e) =>
          e.type === 'KeyRevoked' && e.payload.reason === 'leaked' ? [e.payload] : [],
        );
      await collector.waitFor(() => leaked().length === 2);
      // Keys are spread over partitions: compare as a set.
      expect(new Map(leaked().map((e) => [e.key.keyId, e.effectiveAt]))).toEqual(
        new Map([
          [live.key.keyId, T0 + HOUR],
          [rotating.key.keyId, T0 + HOUR],
        ]),
      );
    } finally {
      await collector.stop();
    }

    expect((await ks.app.inject('/metrics')).body).toMatch(
      /key_service_leaked_key_reports_total\{[^}]*outcome="revoked"[^}]*\} 2/,
    );
    expect(ks.logs.join('\n')).not.toContain(live.plaintext);
  });

  it('answers a redelivered alert the same way without revoking twice', async () => {
    clock = T0;
    const accountId = await newAccount();
    const key = await issue(accountId);
    const body = [{ token: key.plaintext, type: TOKEN_TYPE }];
    expect((await send(body)).statusCode).toBe(200);
    clock = T0 + 1000;
    const again = await send(body);
    expect(again.json()).toEqual([
      { token_hash: sha256(key.plaintext), token_type: TOKEN_TYPE, label: 'true_positive' },
    ]);
    expect(await getKey(key.key.keyId)).toMatchObject({
      revocation: { reason: 'leaked', effectiveAt: new Date(T0).toISOString() },
    });
    const outcomes = await ks.db.sql.query<{ outcome: string }>(
      'select outcome from leaked_key_reports where key_id = ? order by report_id',
      [key.key.keyId],
    );
    expect(outcomes.map((r) => r.outcome)).toEqual(['revoked', 'already_revoked']);
  });

  it('revokes a leaked key that has expired, so no later change brings it back', async () => {
    clock = T0;
    const accountId = await newAccount();
    const res = await post(`/v1/accounts/${accountId}/keys`, { env: 'test', expiresAt: T0 + 1 });
    const key = res.json<{ key: KeyBody; plaintext: string }>();
    clock = T0 + HOUR;
    await send([{ token: key.plaintext, type: TOKEN_TYPE }]);
    expect(await getKey(key.key.keyId)).toMatchObject({
      status: 'revoked',
      revocation: { reason: 'leaked' },
    });
    const revived = await ks.app.inject({
      method: 'PATCH',
      url: `/v1/keys/${key.key.keyId}`,
      payload: { expiresAt: null },
    });
    expect(revived.json()).toMatchObject({ status: 409, reason: 'key_revoked' });
  });

  describe('refuses what GitHub did not sign, before reading it', () => {
    let victim: { key: KeyBody; plaintext: string };
    beforeAll(async () => {
      clock = T0;
      victim = await issue(await newAccount());
    });

    const body = () => JSON.stringify([{ token: victim.plaintext, type: TOKEN_TYPE }]);
    const attempt = async (headers: Record<string, string>, payload: string = body()) => {
      const res = await ks.app.inject({
        method: 'POST',
        url: PATH,
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
      expect(res.statusCode, res.body).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      return res.json<{ code: string; reason: string }>();
    };

    it('answers 401 problem+json with a stable reason and revokes nothing', async () => {
      const signed = github.alert(body()).headers;
      const other = githubAlertSigner(github.identifier).alert(body()).headers;
      expect(await attempt({})).toMatchObject({
        code: 'unauthorized',
        reason: 'signature_missing',
      });
      expect(
        await attempt({ ...signed, 'github-public-key-identifier': 'not-a-github-key' }),
      ).toMatchObject({ reason: 'unknown_signing_key' });
      // Right identifier, signed by someone else's key.
      expect(await attempt(other)).toMatchObject({ reason: 'signature_invalid' });
      // A genuine signature, replayed over a different body.
      const tampered = JSON.stringify([{ token: victim.plaintext, type: 'other' }]);
      expect(await attempt(signed, tampered)).toMatchObject({ reason: 'signature_invalid' });
      const noBody = await ks.app.inject({ method: 'POST', url: PATH, headers: signed });
      expect(noBody.statusCode).toBe(401);
      expect((await getKey(victim.key.keyId)).status).toBe('active');
    });

    it('validates a signed body like any other: 400 for what is not an alert', async () => {
      for (const payload of ['{"token":"x"}', '[]', '[{"type":"t"}]', 'not json']) {
        const { headers } = github.alert(payload);
        const res = await ks.app.inject({ method: 'POST', url: PATH, headers, payload });
        expect(res.statusCode, payload).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect((await getKey(victim.key.keyId)).status).toBe('active');
    });
  });
});

describe('without SECRET_SCANNING_GITHUB_KEYS', () => {
  it('has no receiver (404)', async () => {
    const ks = await startKeyService();
    try {
      const { headers, payload } = githubAlertSigner().alert([{ token: 'x', type: 't' }]);
      const res = await ks.app.inject({ method: 'POST', url: PATH, headers, payload });
      expect(res.statusCode).toBe(404);
    } finally {
      await ks.close();
    }
  });
});
