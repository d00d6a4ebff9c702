import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeyService, type KeyServiceUnderTest } from '../testing/key-service-test-kit';

interface AccountPage {
  items: Array<{ accountId: string; name: string }>;
  nextCursor: string | null;
}

describe('the accounts listing searches by name prefix or id (real Postgres + Kafka)', () => {
  let ks: KeyServiceUnderTest;
  const ids = new Map<string, string>();
  beforeAll(async () => {
    ks = await startKeyService();
    for (const name of [
      'Search Alpha',
      'search beta',
      'SEARCH gamma',
      'Searchlight',
      'Other Search',
      '100%_Search\\Co',
      '100 percent',
    ]) {
      const res = await ks.app.inject({ method: 'POST', url: '/v1/accounts', payload: { name } });
      expect(res.statusCode, res.body).toBe(201);
      ids.set(name, res.json<{ accountId: string }>().accountId);
    }
  });
  afterAll(async () => {
    await ks?.close();
  });

  const list = async (query: string) => {
    const res = await ks.app.inject({ method: 'GET', url: `/v1/accounts?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<AccountPage>();
  };
  const names = (page: AccountPage) => page.items.map((a) => a.name).sort();

  it('finds names starting with q in any case, not names that only contain it', async () => {
    expect(names(await list('q=search'))).toEqual(
      ['SEARCH gamma', 'Search Alpha', 'Searchlight', 'search beta'].sort(),
    );
    expect(names(await list('q=SEARCH%20G'))).toEqual(['SEARCH gamma']);
    expect(names(await list('q=nobody'))).toEqual([]);
  });

  it('finds an account by its exact id, and not by a part of it', async () => {
    const id = ids.get('Other Search')!;
    expect(names(await list(`q=${id}`))).toEqual(['Other Search']);
    expect(names(await list(`q=${id.slice(0, -1)}`))).toEqual([]);
  });

  it('treats %, _ and the backslash in q as themselves, not as patterns', async () => {
    expect(names(await list(`q=${encodeURIComponent('100%_')}`))).toEqual(['100%_Search\\Co']);
    expect(names(await list(`q=${encodeURIComponent('100%_Search\\')}`))).toEqual([
      '100%_Search\\Co',
    ]);
    expect(names(await list('q=%25'))).toEqual([]);
    expect(names(await list('q=_'))).toEqual([]);
    expect(names(await list(`q=${encodeURIComponent('1__')}`))).toEqual([]);
  });

  it('pages a search with the cursor: every match once, in id order, then no cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: AccountPage = await list(
        `q=search&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.items.map((a) => a.accountId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    const expected = ['Search Alpha', 'search beta', 'SEARCH gamma', 'Searchlight']
      .map((n) => ids.get(n)!)
      .sort();
    expect(seen).toEqual(expected);
    expect(pages).toBe(4);
  });

  it('refuses a q that is empty, too long or not text (400), never 500', async () => {
    for (const q of ['', 'x'.repeat(101), '%00']) {
      const res = await ks.app.inject({ method: 'GET', url: `/v1/accounts?q=${q}` });
      expect(res.statusCode, q).toBe(400);
    }
    expect((await list(`q=${'x'.repeat(100)}`)).items).toEqual([]);
  });

  it('serves a name prefix from the lower(name) index', async () => {
    const plan = await ks.db.transaction(async (tx) => {
      // The table is tiny here: without this Postgres rightly prefers reading all of it.
      await tx.query('set local enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }>(
        `explain select * from accounts where lower(name) like 'abc%' escape '\\'`,
      );
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('accounts_name_prefix_idx');
  });
});
