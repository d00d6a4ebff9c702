import { Migration } from '@mikro-orm/migrations';

/**
 * admin-api's schema: admin tokens (only their HMAC is stored) and the audit log, which the
 * database itself keeps append-only: a trigger refuses every UPDATE, DELETE and TRUNCATE.
 */
export class Migration20261201000000Admin extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table admin_tokens (
        token_id text primary key,
        name text not null,
        role text not null check (role in ('owner', 'admin', 'support', 'finance', 'viewer')),
        account_id text,
        token_hash bytea not null,
        pepper_version integer not null,
        display_hint text not null,
        created_by text not null,
        created_at timestamptz not null,
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz,
        unique (token_hash, pepper_version)
      );`);
    this.addSql(`
      create table audit_events (
        seq bigserial primary key,
        event_id text not null unique,
        at timestamptz not null,
        actor text not null,
        role text,
        account_scope text,
        action text not null,
        method text not null,
        route text not null,
        target jsonb not null,
        outcome text not null,
        status integer not null,
        request_id text not null,
        client_ip text not null,
        user_agent text,
        body_digest text
      );`);
    this.addSql('create index audit_events_actor on audit_events (actor, seq);');
    this.addSql(`
      create function audit_events_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_events is append-only';
      end $$;`);
    this.addSql(`
      create trigger audit_events_no_update before update or delete on audit_events
        for each row execute function audit_events_append_only();`);
    this.addSql(`
      create trigger audit_events_no_truncate before truncate on audit_events
        for each statement execute function audit_events_append_only();`);
  }
}
