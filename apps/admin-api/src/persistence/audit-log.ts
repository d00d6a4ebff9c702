import type { Sql } from '@tollgate/postgres';

export interface AuditEvent {
  eventId: string;
  at: Date;
  /** `token:<id>`, or `anonymous` when authentication failed. */
  actor: string;
  role: string | null;
  accountScope: string | null;
  action: string;
  method: string;
  route: string;
  target: Record<string, string>;
  outcome: 'allowed' | 'denied' | 'failed';
  status: number;
  requestId: string;
  clientIp: string;
  userAgent: string | null;
  bodyDigest: string | null;
}

interface AuditRow {
  seq: string;
  event_id: string;
  at: Date;
  actor: string;
  role: string | null;
  account_scope: string | null;
  action: string;
  method: string;
  route: string;
  target: Record<string, string>;
  outcome: AuditEvent['outcome'];
  status: number;
  request_id: string;
  client_ip: string;
  user_agent: string | null;
  body_digest: string | null;
}

/** Appends one record; the table refuses UPDATE and DELETE, so what is written stays written. */
export async function appendAuditEvent(sql: Sql, e: AuditEvent): Promise<void> {
  await sql.query(
    `insert into audit_events (event_id, at, actor, role, account_scope, action, method, route, target, outcome, status,
       request_id, client_ip, user_agent, body_digest)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)`,
    [
      e.eventId,
      e.at,
      e.actor,
      e.role,
      e.accountScope,
      e.action,
      e.method,
      e.route,
      JSON.stringify(e.target),
      e.outcome,
      e.status,
      e.requestId,
      e.clientIp,
      e.userAgent,
      e.bodyDigest,
    ],
  );
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  /** Any target id (account, key, token) the record names. */
  target?: string;
  from?: number;
  to?: number;
  /** Only records that name this account (account-scoped readers). */
  account?: string;
  afterSeq?: string;
  limit: number;
}

/**
 * Records in append order (oldest first) after `afterSeq`. The order is by the bigint column,
 * named with its table: a bare `seq` would mean the `seq::text` output column and sort "10"
 * before "9", so a page's last seq (the cursor) would skip records.
 */
export async function auditEvents(
  sql: Sql,
  f: AuditFilter,
): Promise<Array<AuditEvent & { seq: string }>> {
  const where: string[] = ['seq > ?'];
  const params: unknown[] = [f.afterSeq ?? '0'];
  const add = (condition: string, value: unknown) => {
    where.push(condition);
    params.push(value);
  };
  if (f.actor) add('actor = ?', f.actor);
  if (f.action) add('action = ?', f.action);
  if (f.target) add('exists (select 1 from jsonb_each_text(target) t where t.value = ?)', f.target);
  if (f.account) add(`target->>'accountId' = ?`, f.account);
  if (f.from !== undefined) add('at >= ?', new Date(f.from));
  if (f.to !== undefined) add('at < ?', new Date(f.to));
  const rows = await sql.query<AuditRow>(
    `select seq::text, event_id, at, actor, role, account_scope, action, method, route, target, outcome, status,
       request_id, client_ip, user_agent, body_digest
     from audit_events where ${where.join(' and ')} order by audit_events.seq limit ?`,
    [...params, f.limit],
  );
  return rows.map((r) => ({
    seq: r.seq,
    eventId: r.event_id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    accountScope: r.account_scope,
    action: r.action,
    method: r.method,
    route: r.route,
    target: r.target,
    outcome: r.outcome,
    status: r.status,
    requestId: r.request_id,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    bodyDigest: r.body_digest,
  }));
}
