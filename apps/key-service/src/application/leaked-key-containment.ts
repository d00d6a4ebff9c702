import { parseApiKey } from '@tollgate/api-keys';
import { DomainError, type KeyCommand } from '@tollgate/key-service-domain';
import { newEventId } from '@tollgate/events';
import { accountWebhooks } from '../persistence/account-webhooks';
import { leakedKeyReports, type LeakOutcome } from '../persistence/leaked-key-reports';
import { findKeyIdByHash } from '../persistence/read-model';
import { actingAs } from './actor';
import { keyAggregate } from './aggregates';
import type { CommandContext } from './command-context';
import { execute, load } from './execute';

/** A token a secret scanner found in public, with what it says about where. */
export interface FoundToken {
  token: string;
  type: string;
  url?: string | undefined;
  /** Where the scanner saw it (GitHub: `content`, `commit`, `gist`, `npm`, …). */
  source?: string | undefined;
}

export type TokenVerdict =
  | { token: string; type: string; label: 'true_positive'; keyId: string; outcome: LeakOutcome }
  | { token: string; type: string; label: 'false_positive' };

/** The revocation reason of a key a scanner found in public; edge-auth answers `key_revoked`. */
export const LEAKED = 'leaked';
/** The actor of a containment revocation, in the published KeyRevoked. */
export const LEAK_ACTOR = 'system:secret-scanning';
const MAX_ATTEMPTS = 3;

/**
 * Leaked-key containment: every reported token that is one of our keys is revoked at once (reason
 * `leaked`, cutting a rotation grace period short) and the report recorded, in one transaction
 * per key; KeyRevoked reaches edge-auth through the outbox. Keys that no longer work are recorded
 * too, and an expired key is revoked as well, so no later change can bring it back. Tokens that
 * are not our keys (another shape or prefix, a bad checksum, unknown) are false positives.
 */
export function leakedKeyContainment(ctx: CommandContext) {
  async function revokeLeaked(
    match: { key_id: string; account_id: string },
    found: FoundToken,
    source: string,
  ): Promise<LeakOutcome> {
    for (let attempt = 1; ; attempt++) {
      const now = ctx.now();
      try {
        return await ctx.db.transaction(async (tx) => {
          const loaded = await load(tx, keyAggregate, match.key_id);
          const { state } = loaded;
          const stillWorks =
            state.status === 'active' || (state.status === 'revoked' && state.effectiveAt > now);
          if (stillWorks) {
            const revoke: KeyCommand = {
              type: 'RevokeKey',
              data: { keyId: match.key_id, reason: LEAKED },
              metadata: { now },
            };
            await actingAs(LEAK_ACTOR, () =>
              execute(tx, ctx.codec, keyAggregate, match.key_id, revoke, loaded, now),
            );
          }
          const outcome: LeakOutcome = stillWorks ? 'revoked' : 'already_revoked';
          // The customer hears of it on their webhook, if they set one (sent after commit).
          if (stillWorks)
            await accountWebhooks.enqueue(tx, {
              deliveryId: `whd_${newEventId(now)}`,
              accountId: match.account_id,
              eventType: 'key.leaked',
              payload: {
                keyId: match.key_id,
                accountId: match.account_id,
                displayHint: state.displayHint,
                name: state.name ?? null,
                reason: LEAKED,
                revokedAt: new Date(now).toISOString(),
                source,
                foundAtUrl: found.url ?? null,
              },
              at: new Date(now),
            });
          await leakedKeyReports.record(tx, {
            source,
            keyId: match.key_id,
            accountId: match.account_id,
            outcome,
            tokenType: found.type,
            foundAtUrl: found.url ?? null,
            foundIn: found.source ?? null,
            reportedAt: now,
          });
          return outcome;
        });
      } catch (err) {
        // Another writer changed the key between load and append: decide again on its new state.
        const raced = err instanceof DomainError && err.kind === 'conflict';
        if (!raced || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  async function ourKey(token: string) {
    if (!parseApiKey(token, { prefix: ctx.keyPrefix }).ok) return undefined;
    for (const { hash, pepperVersion } of ctx.hasher.hashAll(token)) {
      const match = await findKeyIdByHash(ctx.db.sql, hash, pepperVersion);
      if (match) return match;
    }
    return undefined;
  }

  return {
    /** One verdict per distinct token, in the order they were reported. */
    async containLeakedKeys(
      source: string,
      report: readonly FoundToken[],
    ): Promise<TokenVerdict[]> {
      const distinct = new Map<string, FoundToken>();
      for (const found of report) if (!distinct.has(found.token)) distinct.set(found.token, found);
      const verdicts: TokenVerdict[] = [];
      for (const found of distinct.values()) {
        const match = await ourKey(found.token);
        if (!match) {
          verdicts.push({ token: found.token, type: found.type, label: 'false_positive' });
          continue;
        }
        const outcome = await revokeLeaked(match, found, source);
        verdicts.push({
          token: found.token,
          type: found.type,
          label: 'true_positive',
          keyId: match.key_id,
          outcome,
        });
      }
      return verdicts;
    },
  };
}
