import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectTopics,
  startKeyService,
  type KeyServiceUnderTest,
  type TopicCollector,
} from '../testing/key-service-test-kit';

/** Anything shaped like a plaintext key, whatever its prefix. */
const KEY_PATTERN = /\b[a-z][a-z0-9]{0,15}_(live|test)_[0-9A-Za-z]{20,}/;

describe('plaintext keys never leave the issuing response (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  let collector: TopicCollector;
  const plaintexts: string[] = [];

  beforeAll(async () => {
    ks = await startKeyService();
    const account = await ks.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      payload: { name: 'Scan Co' },
    });
    const { accountId } = account.json<{ accountId: string }>();
    const keyIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await ks.app.inject({
        method: 'POST',
        url: `/v1/accounts/${accountId}/keys`,
        payload: { env: i % 2 ? 'live' : 'test', scopes: ['usage:read'] },
        headers: { 'idempotency-key': `scan-${i}` },
      });
      const body = res.json<{ key: { keyId: string }; plaintext: string }>();
      plaintexts.push(body.plaintext);
      keyIds.push(body.key.keyId);
    }
    for (const keyId of keyIds.slice(0, 3)) {
      const rotated = await ks.app.inject({
        method: 'POST',
        url: `/v1/keys/${keyId}/rotate`,
        payload: {},
      });
      plaintexts.push(rotated.json<{ plaintext: string }>().plaintext);
    }
    // A careless client puts its key in a URL and a header; neither may end up in the logs.
    await ks.app.inject({
      method: 'GET',
      url: `/v1/accounts?api_key=${plaintexts[0]}`,
      headers: { 'x-api-key': plaintexts[1]! },
    });
    await ks.app.inject({ method: 'GET', url: `/v1/keys/${plaintexts[2]}` });

    collector = await collectTopics([ks.keysTopic]);
    await collector.waitFor(
      (events) => events.filter((e) => e.type === 'KeyIssued').length >= 13,
      20_000,
    );
  });
  afterAll(async () => {
    await collector?.stop();
    await ks?.close();
  });

  function expectClean(haystack: string, where: string) {
    for (const plaintext of plaintexts)
      expect(haystack.includes(plaintext), `${where} contains a plaintext key`).toBe(false);
    expect(KEY_PATTERN.exec(haystack)?.[0], `${where} contains a key-shaped value`).toBeUndefined();
  }

  it('issued 13 distinct well-formed keys', () => {
    expect(new Set(plaintexts).size).toBe(13);
    for (const p of plaintexts) expect(p).toMatch(KEY_PATTERN);
  });

  it('stores none in any table of the schema', async () => {
    const tables = await ks.db.sql.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = ?',
      [ks.config.DATABASE_SCHEMA],
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['events', 'outbox', 'api_keys', 'idempotent_requests']),
    );
    for (const { table_name } of tables) {
      const rows = await ks.db.sql.query<{ row: string }>(
        `select t::text as row from "${ks.config.DATABASE_SCHEMA}"."${table_name}" t`,
      );
      expectClean(rows.map((r) => r.row).join('\n'), `table ${table_name}`);
    }
  });

  it('publishes none to Kafka', () => {
    expect(collector.events.length).toBeGreaterThanOrEqual(16);
    expectClean(collector.events.map((e) => e.raw.toString('latin1')).join('\n'), 'the keys topic');
    expectClean(JSON.stringify(collector.events.map((e) => e.payload)), 'decoded key events');
  });

  it('logs none', () => {
    expect(ks.logs.length).toBeGreaterThan(0);
    expectClean(ks.logs.join(''), 'the logs');
    expect(ks.logs.join('')).toContain('_[redacted]');
  });
});
