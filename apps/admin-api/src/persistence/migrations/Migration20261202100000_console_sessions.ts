import { Migration } from '@mikro-orm/migrations';

/**
 * Console sessions: only the SHA-256 of the session id is stored (the cookie holds the id). A
 * token session names its admin token, so a revoked or expired token ends its sessions at once
 * (read through a join on every request); an OIDC session carries the person's role and scope.
 */
export class Migration20261202100000ConsoleSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table console_sessions (
        session_hash bytea primary key,
        actor text not null,
        via text not null check (via in ('admin_token', 'oidc')),
        token_id text references admin_tokens (token_id),
        name text not null,
        role text not null check (role in ('owner', 'admin', 'support', 'finance', 'viewer')),
        account_id text,
        created_at timestamptz not null,
        last_seen_at timestamptz not null,
        idle_expires_at timestamptz not null,
        expires_at timestamptz not null,
        check ((via = 'admin_token') = (token_id is not null))
      );`);
    this.addSql('create index console_sessions_expires_at on console_sessions (expires_at);');
  }
}
