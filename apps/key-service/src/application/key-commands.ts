import { generateApiKey } from '@tollgate/api-keys';
import { newId } from '@tollgate/events';
import { DomainError, type KeyCommand, type KeyEnv } from '@tollgate/key-service-domain';
import { keyAggregate } from './aggregates';
import { notFound, requireActiveAccount, type CommandContext } from './command-context';
import { execute, load } from './execute';

export interface IssuedKey {
  keyId: string;
  /** Returned exactly once, here; only its HMAC is stored. */
  plaintext: string;
}

/** Key issue, rotation, revocation and updates: one transaction per command. */
export function keyCommands(ctx: CommandContext) {
  const generate = (env: KeyEnv) => {
    const generated = generateApiKey({ prefix: ctx.keyPrefix, env });
    return { ...generated, ...ctx.hasher.hash(generated.plaintext) };
  };
  const run = async (keyId: string, command: (now: number) => KeyCommand) => {
    const now = ctx.now();
    await ctx.db.transaction(async (tx) => {
      const loaded = await load(tx, keyAggregate, keyId);
      await execute(tx, ctx.codec, keyAggregate, keyId, command(now), loaded, now);
    });
  };

  return {
    async issueKey(input: {
      accountId: string;
      env: KeyEnv;
      name?: string | null;
      scopes?: string[];
      metadata?: Record<string, string>;
      expiresAt?: number | null;
    }): Promise<IssuedKey> {
      const keyId = newId('key');
      const generated = generate(input.env);
      const now = ctx.now();
      await ctx.db.transaction(async (tx) => {
        await requireActiveAccount(tx, input.accountId);
        const loaded = await load(tx, keyAggregate, keyId);
        const command: KeyCommand = {
          type: 'IssueKey',
          data: {
            keyId,
            accountId: input.accountId,
            keyHash: generated.hash,
            pepperVersion: generated.pepperVersion,
            displayHint: generated.displayHint,
            name: input.name ?? null,
            env: input.env,
            scopes: input.scopes ?? [],
            metadata: input.metadata ?? {},
            expiresAt: input.expiresAt ?? null,
            rotatedFromKeyId: null,
          },
          metadata: { now },
        };
        await execute(tx, ctx.codec, keyAggregate, keyId, command, loaded, now);
      });
      return { keyId, plaintext: generated.plaintext };
    },

    /**
     * Issues a replacement with the same account, env, scopes, metadata and expiry; the old key
     * works until the grace period ends. An expired key is refused (409 `key_expired`): rotating
     * it would hand out a working key for one that no longer works, so the caller issues a new
     * key with an expiry of its choosing instead.
     */
    async rotateKey(keyId: string, input: { graceMs?: number } = {}): Promise<IssuedKey> {
      const newKeyId = newId('key');
      const now = ctx.now();
      const graceMs = input.graceMs ?? ctx.defaultRotationGraceMs;
      let plaintext = '';
      await ctx.db.transaction(async (tx) => {
        const old = await load(tx, keyAggregate, keyId);
        const fresh = await load(tx, keyAggregate, newKeyId);
        if (old.state.status === 'none')
          throw notFound('key_not_found', `key ${keyId} does not exist`);
        if (
          old.state.status === 'active' &&
          old.state.expiresAt !== null &&
          old.state.expiresAt <= now
        ) {
          throw new DomainError(
            'illegal_state',
            'key_expired',
            `key ${keyId} has expired and cannot be rotated; issue a new key instead`,
          );
        }
        await requireActiveAccount(tx, old.state.accountId);
        const revoke: KeyCommand = {
          type: 'RevokeKey',
          data: { keyId, reason: 'rotated', effectiveAt: now + graceMs, replacedByKeyId: newKeyId },
          metadata: { now },
        };
        await execute(tx, ctx.codec, keyAggregate, keyId, revoke, old, now);
        const generated = generate(old.state.env);
        plaintext = generated.plaintext;
        const issue: KeyCommand = {
          type: 'IssueKey',
          data: {
            keyId: newKeyId,
            accountId: old.state.accountId,
            keyHash: generated.hash,
            pepperVersion: generated.pepperVersion,
            displayHint: generated.displayHint,
            name: old.state.name ?? null,
            env: old.state.env,
            scopes: old.state.scopes,
            metadata: old.state.metadata,
            expiresAt: old.state.expiresAt,
            rotatedFromKeyId: keyId,
          },
          metadata: { now },
        };
        await execute(tx, ctx.codec, keyAggregate, newKeyId, issue, fresh, now);
      });
      return { keyId: newKeyId, plaintext };
    },

    revokeKey: (keyId: string, reason: string) =>
      run(keyId, (now) => ({ type: 'RevokeKey', data: { keyId, reason }, metadata: { now } })),

    updateKey: (
      keyId: string,
      patch: {
        name?: string | null;
        scopes?: string[];
        metadata?: Record<string, string>;
        expiresAt?: number | null;
      },
    ) => run(keyId, (now) => ({ type: 'UpdateKey', data: { keyId, ...patch }, metadata: { now } })),
  };
}
