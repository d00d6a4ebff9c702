import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret, startAdminApi, type AdminApiUnderTest } from '../testing/admin-test-kit';
import { appendAuditEvent, auditEvents } from './audit-log';

describe('the audit log read model (real Postgres)', () => {
  let admin: AdminApiUnderTest;
  beforeAll(async () => {
    const unused = 'http://127.0.0.1:9';
    admin = await startAdminApi({
      keyServiceUrl: unused,
      usageIngestorUrl: unused,
      adminCredential: secret(),
    });
  });
  afterAll(() => admin?.close());

  it('reads in append order past seq 9 and pages by cursor without skipping or repeating a record', async () => {
    const at = new Date(Date.UTC(2031, 0, 2, 3, 4, 5));
    for (let i = 0; i < 23; i++)
      await appendAuditEvent(admin.db.sql, {
        eventId: `audit_order_${String(i).padStart(2, '0')}`,
        at,
        actor: 'token:atok_order',
        role: 'owner',
        accountScope: null,
        action: `test.step_${i}`,
        method: 'POST',
        route: '/v1/test',
        target: {},
        outcome: 'allowed',
        status: 200,
        requestId: `req-${i}`,
        clientIp: '127.0.0.1',
        userAgent: null,
        bodyDigest: null,
      });
    const all = await auditEvents(admin.db.sql, { actor: 'token:atok_order', limit: 100 });
    expect(all.map((e) => e.action)).toEqual(
      Array.from({ length: 23 }, (_, i) => `test.step_${i}`),
    );

    const paged: string[] = [];
    let afterSeq: string | undefined;
    for (;;) {
      const page = await auditEvents(admin.db.sql, {
        actor: 'token:atok_order',
        afterSeq,
        limit: 5,
      });
      if (page.length === 0) break;
      paged.push(...page.map((e) => e.action));
      afterSeq = page.at(-1)!.seq;
    }
    expect(paged).toEqual(all.map((e) => e.action));
  });
});
