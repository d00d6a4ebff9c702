import { generateApiKey, type KeyHasher } from '@tollgate/api-keys';
import { newEventId, newId, type EventCodec } from '@tollgate/events';
import {
  DEFAULT_PLANS,
  DomainError,
  latestVersion,
  type AccountCommand,
  type AccountState,
  type KeyCommand,
  type KeyEnv,
  type KeyState,
  type PlanDefinition,
  type PlanVersionRef,
} from '@tollgate/key-service-domain';
import {
  accountIntegrationEvent,
  accountStatusChanged,
  keyIntegrationEvent,
} from '../outbox/integration-events';
import { enqueueOutbox } from '../persistence/outbox';
import type { Database, Sql } from '@tollgate/postgres';
import { decideAndAppend, loadState } from './execute';
import {
  accountDecider,
  accountStream,
  keyDecider,
  keyStream,
  planDecider,
  planStream,
} from './streams';

export interface KeyServiceCommandsOptions {
  db: Database;
  codec: EventCodec;
  hasher: KeyHasher;
  keyPrefix: string;
  defaultRotationGraceMs: number;
  now?: () => number;
}

export interface IssuedKey {
  keyId: string;
  /** Returned exactly once, here; only its HMAC is stored. */
  plaintext: string;
}

const notFound = (code: string, message: string) => new DomainError('not_found', code, message);

/** The write side of key-service: each method is one transaction over the event store and outbox. */
export class KeyServiceCommands {
  private readonly now: () => number;

  constructor(private readonly options: KeyServiceCommandsOptions) {
    this.now = options.now ?? Date.now;
  }

  async createAccount(input: { name: string; planId?: string }): Promise<{ accountId: string }> {
    const accountId = newId('account');
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      const plan = await this.planVersion(tx, input.planId ?? 'plan_free');
      const loaded = await loadState(tx, accountStream(accountId), accountDecider);
      await this.applyAccount(
        tx,
        accountId,
        { type: 'CreateAccount', data: { accountId, name: input.name, plan }, metadata: { now } },
        loaded,
        now,
      );
    });
    return { accountId };
  }

  async suspendAccount(accountId: string, reason: string): Promise<void> {
    await this.accountCommand(accountId, (now) => ({
      type: 'SuspendAccount',
      data: { accountId, reason },
      metadata: { now },
    }));
  }

  async reactivateAccount(accountId: string): Promise<void> {
    await this.accountCommand(accountId, (now) => ({
      type: 'ReactivateAccount',
      data: { accountId },
      metadata: { now },
    }));
  }

  async assignPlan(
    accountId: string,
    input: { planId: string; planVersion?: number; effectiveAt?: number },
  ): Promise<void> {
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      const plan = await this.planVersion(tx, input.planId, input.planVersion);
      const loaded = await loadState(tx, accountStream(accountId), accountDecider);
      const command: AccountCommand = {
        type: 'AssignPlan',
        data: { accountId, plan, effectiveAt: input.effectiveAt },
        metadata: { now },
      };
      await this.applyAccount(tx, accountId, command, loaded, now);
    });
  }

  async issueKey(input: {
    accountId: string;
    env: KeyEnv;
    scopes?: string[];
    metadata?: Record<string, string>;
    expiresAt?: number | null;
  }): Promise<IssuedKey> {
    const keyId = newId('key');
    const generated = generateApiKey({ prefix: this.options.keyPrefix, env: input.env });
    const { hash, pepperVersion } = this.options.hasher.hash(generated.plaintext);
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      await this.requireActiveAccount(tx, input.accountId);
      const loaded = await loadState(tx, keyStream(keyId), keyDecider);
      const command: KeyCommand = {
        type: 'IssueKey',
        data: {
          keyId,
          accountId: input.accountId,
          keyHash: hash,
          pepperVersion,
          displayHint: generated.displayHint,
          env: input.env,
          scopes: input.scopes ?? [],
          metadata: input.metadata ?? {},
          expiresAt: input.expiresAt ?? null,
          rotatedFromKeyId: null,
        },
        metadata: { now },
      };
      await this.applyKey(tx, keyId, command, loaded, now);
    });
    return { keyId, plaintext: generated.plaintext };
  }

  /** Issues a replacement with the same account, env, scopes, metadata and expiry; the old key works until the grace period ends. */
  async rotateKey(keyId: string, input: { graceMs?: number } = {}): Promise<IssuedKey> {
    const newKeyId = newId('key');
    const now = this.now();
    const graceMs = input.graceMs ?? this.options.defaultRotationGraceMs;
    let plaintext = '';
    await this.options.db.transaction(async (tx) => {
      const old = await loadState(tx, keyStream(keyId), keyDecider);
      const fresh = await loadState(tx, keyStream(newKeyId), keyDecider);
      if (old.state.status === 'none')
        throw notFound('key_not_found', `key ${keyId} does not exist`);
      await this.requireActiveAccount(tx, old.state.accountId);
      const revoke: KeyCommand = {
        type: 'RevokeKey',
        data: { keyId, reason: 'rotated', effectiveAt: now + graceMs, replacedByKeyId: newKeyId },
        metadata: { now },
      };
      await this.applyKey(tx, keyId, revoke, old, now);
      const generated = generateApiKey({ prefix: this.options.keyPrefix, env: old.state.env });
      const { hash, pepperVersion } = this.options.hasher.hash(generated.plaintext);
      plaintext = generated.plaintext;
      const issue: KeyCommand = {
        type: 'IssueKey',
        data: {
          keyId: newKeyId,
          accountId: old.state.accountId,
          keyHash: hash,
          pepperVersion,
          displayHint: generated.displayHint,
          env: old.state.env,
          scopes: old.state.scopes,
          metadata: old.state.metadata,
          expiresAt:
            old.state.expiresAt !== null && old.state.expiresAt > now ? old.state.expiresAt : null,
          rotatedFromKeyId: keyId,
        },
        metadata: { now },
      };
      await this.applyKey(tx, newKeyId, issue, fresh, now);
    });
    return { keyId: newKeyId, plaintext };
  }

  async revokeKey(keyId: string, reason: string): Promise<void> {
    await this.keyCommand(keyId, (now) => ({
      type: 'RevokeKey',
      data: { keyId, reason },
      metadata: { now },
    }));
  }

  async updateKey(
    keyId: string,
    patch: { scopes?: string[]; metadata?: Record<string, string>; expiresAt?: number | null },
  ): Promise<void> {
    await this.keyCommand(keyId, (now) => ({
      type: 'UpdateKey',
      data: { keyId, ...patch },
      metadata: { now },
    }));
  }

  async createPlan(planId: string, definition: PlanDefinition): Promise<void> {
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      const loaded = await loadState(tx, planStream(planId), planDecider);
      await decideAndAppend(
        tx,
        planStream(planId),
        planDecider,
        { type: 'CreatePlan', data: { planId, definition }, metadata: { now } },
        loaded,
        now,
      );
    });
  }

  /**
   * Publishes an edited plan as its next version; with `moveAccounts`, every account on an older
   * version of this plan moves to it (one PlanChanged each, one transaction per account).
   */
  async createPlanVersion(
    planId: string,
    definition: PlanDefinition,
    options: { moveAccounts?: boolean } = {},
  ) {
    const now = this.now();
    const version = await this.options.db.transaction(async (tx) => {
      const loaded = await loadState(tx, planStream(planId), planDecider);
      const { state } = await decideAndAppend(
        tx,
        planStream(planId),
        planDecider,
        { type: 'CreatePlanVersion', data: { planId, definition }, metadata: { now } },
        loaded,
        now,
      );
      return latestVersion(state)!.version;
    });
    let moved = 0;
    if (options.moveAccounts) {
      const accounts = await this.options.db.sql.query<{ account_id: string }>(
        'select account_id from accounts where plan_id = ? and plan_version < ? order by account_id',
        [planId, version],
      );
      for (const { account_id } of accounts) {
        await this.assignPlan(account_id, { planId, planVersion: version });
        moved++;
      }
    }
    return { version, movedAccounts: moved };
  }

  /** Creates the default plan tiers that do not exist yet; safe to run on every start. */
  async seedDefaultPlans(): Promise<string[]> {
    const created: string[] = [];
    for (const [planId, definition] of Object.entries(DEFAULT_PLANS)) {
      try {
        await this.createPlan(planId, definition);
        created.push(planId);
      } catch (err) {
        const benign =
          err instanceof DomainError &&
          (err.code === 'plan_already_exists' || err.code === 'concurrent_modification');
        if (!benign) throw err;
      }
    }
    return created;
  }

  /**
   * Re-publishes the full current state of every key and every account's plan and status with new eventIds,
   * so downstream caches (edge-auth) can be rebuilt from the compacted topics.
   */
  async replayCurrentState(): Promise<{ keys: number; accounts: number }> {
    const now = this.now();
    const { codec, db } = this.options;
    const keyIds = await db.sql.query<{ key_id: string }>(
      'select key_id from api_keys order by key_id',
    );
    for (const { key_id } of keyIds) {
      await db.transaction(async (tx) => {
        const { state } = await loadState(tx, keyStream(key_id), keyDecider);
        const event = replayKeyEvent(state);
        if (event)
          await enqueueOutbox(
            tx,
            keyStream(key_id),
            keyIntegrationEvent(codec, event, newEventId(now), state, now),
          );
      });
    }
    const accountIds = await db.sql.query<{ account_id: string }>(
      'select account_id from accounts order by account_id',
    );
    for (const { account_id } of accountIds) {
      await db.transaction(async (tx) => {
        const { state } = await loadState(tx, accountStream(account_id), accountDecider);
        if (state.status === 'none') return;
        const plan = await this.planVersion(tx, state.plan.planId, state.plan.planVersion);
        const event = accountIntegrationEvent(
          codec,
          {
            type: 'PlanAssigned',
            data: {
              accountId: account_id,
              ...plan,
              previous: null,
              effectiveAt: now,
              assignedAt: now,
            },
          },
          newEventId(now),
          now,
        );
        if (event) await enqueueOutbox(tx, accountStream(account_id), event);
        const status = accountStatusChanged(
          codec,
          {
            accountId: account_id,
            status: state.status,
            reason: state.status === 'suspended' ? state.reason : null,
          },
          newEventId(now),
          now,
        );
        await enqueueOutbox(tx, accountStream(account_id), status);
      });
    }
    return { keys: keyIds.length, accounts: accountIds.length };
  }

  private async keyCommand(keyId: string, command: (now: number) => KeyCommand): Promise<void> {
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      const loaded = await loadState(tx, keyStream(keyId), keyDecider);
      await this.applyKey(tx, keyId, command(now), loaded, now);
    });
  }

  private async accountCommand(
    accountId: string,
    command: (now: number) => AccountCommand,
  ): Promise<void> {
    const now = this.now();
    await this.options.db.transaction(async (tx) => {
      const loaded = await loadState(tx, accountStream(accountId), accountDecider);
      await this.applyAccount(tx, accountId, command(now), loaded, now);
    });
  }

  private async applyKey(
    tx: Sql,
    keyId: string,
    command: KeyCommand,
    loaded: { state: KeyState; version: number },
    now: number,
  ) {
    const { appended } = await decideAndAppend(
      tx,
      keyStream(keyId),
      keyDecider,
      command,
      loaded,
      now,
    );
    for (const { event, eventId, after } of appended) {
      await enqueueOutbox(
        tx,
        keyStream(keyId),
        keyIntegrationEvent(this.options.codec, event, eventId, after, now),
      );
    }
  }

  private async applyAccount(
    tx: Sql,
    accountId: string,
    command: AccountCommand,
    loaded: { state: AccountState; version: number },
    now: number,
  ) {
    const { appended } = await decideAndAppend(
      tx,
      accountStream(accountId),
      accountDecider,
      command,
      loaded,
      now,
    );
    for (const { event, eventId } of appended) {
      const published = accountIntegrationEvent(this.options.codec, event, eventId, now);
      if (published) await enqueueOutbox(tx, accountStream(accountId), published);
    }
  }

  private async requireActiveAccount(tx: Sql, accountId: string): Promise<void> {
    const { state } = await loadState(tx, accountStream(accountId), accountDecider);
    if (state.status === 'none')
      throw notFound('account_not_found', `account ${accountId} does not exist`);
    if (state.status === 'suspended')
      throw new DomainError(
        'illegal_state',
        'account_suspended',
        `account ${accountId} is suspended`,
      );
  }

  private async planVersion(tx: Sql, planId: string, version?: number): Promise<PlanVersionRef> {
    const { state } = await loadState(tx, planStream(planId), planDecider);
    const found =
      version === undefined
        ? latestVersion(state)
        : state.status === 'active'
          ? state.versions.find((v) => v.version === version)
          : undefined;
    if (!found)
      throw notFound(
        'plan_not_found',
        `plan ${planId}${version ? ` v${version}` : ''} does not exist`,
      );
    return { planId, planVersion: found.version, definition: found.definition };
  }
}

function replayKeyEvent(state: KeyState) {
  if (state.status === 'none') return undefined;
  if (state.status === 'active')
    return {
      type: 'KeyUpdated' as const,
      data: {
        keyId: state.keyId,
        scopes: state.scopes,
        metadata: state.metadata,
        expiresAt: state.expiresAt,
        updatedAt: state.issuedAt,
      },
    };
  return {
    type: 'KeyRevoked' as const,
    data: {
      keyId: state.keyId,
      reason: state.reason,
      effectiveAt: state.effectiveAt,
      revokedAt: state.revokedAt,
      replacedByKeyId: state.replacedByKeyId,
    },
  };
}
