import {
  assertNever,
  type AccountEvent,
  type KeyEvent,
  type PlanEvent,
} from '@tollgate/key-service-domain';
import type { Sql } from '@tollgate/postgres';

export type KeyServiceEvent = KeyEvent | AccountEvent | PlanEvent;

const ts = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Keeps the read models (accounts, api_keys, plan_versions) in step with the event store, in the
 * same transaction as the append, so queries never see a state the events do not explain.
 */
export async function project(
  tx: Sql,
  event: KeyServiceEvent,
  streamVersion: number,
): Promise<void> {
  switch (event.type) {
    case 'KeyIssued': {
      const d = event.data;
      await tx.query(
        `insert into api_keys (key_id, account_id, key_hash, pepper_version, display_hint, name, env, scopes, metadata, status,
           expires_at, rotated_from_key_id, issued_at, version)
         values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, 'active', ?, ?, ?, ?)`,
        [
          d.keyId,
          d.accountId,
          d.keyHash,
          d.pepperVersion,
          d.displayHint,
          d.name ?? null,
          d.env,
          JSON.stringify(d.scopes),
          JSON.stringify(d.metadata),
          ts(d.expiresAt),
          d.rotatedFromKeyId,
          ts(d.issuedAt),
          streamVersion,
        ],
      );
      return;
    }
    case 'KeyRevoked': {
      const d = event.data;
      await tx.query(
        `update api_keys set status = 'revoked', revocation_reason = ?, revoked_at = ?, revocation_effective_at = ?,
           replaced_by_key_id = ?, version = ? where key_id = ?`,
        [d.reason, ts(d.revokedAt), ts(d.effectiveAt), d.replacedByKeyId, streamVersion, d.keyId],
      );
      return;
    }
    case 'KeyUpdated': {
      const d = event.data;
      await tx.query(
        `update api_keys set name = case when ? then ? else name end, scopes = ?::jsonb,
           metadata = ?::jsonb, expires_at = ?, version = ? where key_id = ?`,
        [
          // Updates recorded before keys had names leave the name alone.
          d.name !== undefined,
          d.name ?? null,
          JSON.stringify(d.scopes),
          JSON.stringify(d.metadata),
          ts(d.expiresAt),
          streamVersion,
          d.keyId,
        ],
      );
      return;
    }
    case 'AccountCreated': {
      const d = event.data;
      await tx.query(
        `insert into accounts (account_id, name, status, plan_id, plan_version, created_at, version) values (?, ?, 'active', '', 0, ?, ?)`,
        [d.accountId, d.name, ts(d.createdAt), streamVersion],
      );
      return;
    }
    case 'PlanAssigned': {
      const d = event.data;
      // A scheduled change that came due before this assignment is the plan it replaces.
      await tx.query(
        `update accounts set plan_id = scheduled_plan_id, plan_version = scheduled_plan_version,
           scheduled_plan_id = null, scheduled_plan_version = null, scheduled_effective_at = null
         where account_id = ? and scheduled_effective_at <= ?`,
        [d.accountId, ts(d.assignedAt)],
      );
      if (d.effectiveAt > d.assignedAt) {
        // Later: the current plan stays; a newer scheduled change replaces an older one.
        await tx.query(
          `update accounts set scheduled_plan_id = ?, scheduled_plan_version = ?, scheduled_effective_at = ?, version = ?
           where account_id = ?`,
          [d.planId, d.planVersion, ts(d.effectiveAt), streamVersion, d.accountId],
        );
      } else {
        await tx.query(
          `update accounts set plan_id = ?, plan_version = ?, scheduled_plan_id = null,
             scheduled_plan_version = null, scheduled_effective_at = null, version = ?
           where account_id = ?`,
          [d.planId, d.planVersion, streamVersion, d.accountId],
        );
      }
      return;
    }
    case 'AccountSuspended':
      await tx.query(
        `update accounts set status = 'suspended', suspension_reason = ?, version = ? where account_id = ?`,
        [event.data.reason, streamVersion, event.data.accountId],
      );
      return;
    case 'AccountReactivated':
      await tx.query(
        `update accounts set status = 'active', suspension_reason = null, version = ? where account_id = ?`,
        [streamVersion, event.data.accountId],
      );
      return;
    case 'PlanCreated':
      return;
    case 'PlanVersionCreated': {
      const d = event.data;
      await tx.query(
        'insert into plan_versions (plan_id, version, definition, created_at) values (?, ?, ?::jsonb, ?)',
        [d.planId, d.version, JSON.stringify(d.definition), ts(d.createdAt)],
      );
      return;
    }
    default:
      assertNever(event);
  }
}
