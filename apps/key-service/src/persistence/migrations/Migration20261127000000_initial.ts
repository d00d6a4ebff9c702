import { Migration } from '@mikro-orm/migrations';

/**
 * key-service's schema: the event store (source of truth), the transactional outbox and its relay
 * position, the read models projected inline from the events, and stored idempotent responses.
 */
export class Migration20261127000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table events (
        global_position bigserial primary key,
        stream_id text not null,
        stream_version int not null,
        event_id text not null unique,
        event_type text not null,
        data jsonb not null,
        recorded_at timestamptz not null default now(),
        unique (stream_id, stream_version)
      );`);
    // tx_id orders rows by transaction: the relay reads only rows of transactions older than every
    // transaction still in flight, so a slow commit can never be skipped.
    this.addSql(`
      create table outbox (
        position bigserial primary key,
        tx_id xid8 not null default pg_current_xact_id(),
        event_id text not null unique,
        event_type text not null,
        stream_id text not null,
        payload jsonb not null,
        created_at timestamptz not null default now()
      );`);
    this.addSql(`create index outbox_tx_position on outbox (tx_id, position);`);
    this.addSql(`
      create table outbox_relay_position (
        id int primary key default 1 check (id = 1),
        tx_id xid8 not null,
        position bigint not null,
        updated_at timestamptz not null default now()
      );`);
    this.addSql(`insert into outbox_relay_position (tx_id, position) values ('0'::xid8, 0);`);
    this.addSql(`
      create table accounts (
        account_id text primary key,
        name text not null,
        status text not null,
        suspension_reason text,
        plan_id text not null,
        plan_version int not null,
        created_at timestamptz not null,
        version int not null
      );`);
    this.addSql(`
      create table api_keys (
        key_id text primary key,
        account_id text not null references accounts (account_id),
        key_hash text not null,
        pepper_version int not null,
        display_hint text not null,
        env text not null,
        scopes jsonb not null,
        metadata jsonb not null,
        status text not null,
        expires_at timestamptz,
        rotated_from_key_id text,
        replaced_by_key_id text,
        revocation_reason text,
        revoked_at timestamptz,
        revocation_effective_at timestamptz,
        issued_at timestamptz not null,
        version int not null,
        unique (key_hash, pepper_version)
      );`);
    this.addSql(`create index api_keys_account on api_keys (account_id, key_id);`);
    this.addSql(`
      create table plan_versions (
        plan_id text not null,
        version int not null,
        definition jsonb not null,
        created_at timestamptz not null,
        primary key (plan_id, version)
      );`);
    this.addSql(`
      create table idempotent_requests (
        idempotency_key text not null,
        scope text not null,
        request_hash text not null,
        status_code int not null,
        response jsonb not null,
        created_at timestamptz not null default now(),
        primary key (scope, idempotency_key)
      );`);
  }
}
