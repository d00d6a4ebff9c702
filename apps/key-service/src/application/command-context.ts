import type { KeyHasher } from '@tollgate/api-keys';
import type { EventCodec } from '@tollgate/events';
import { DomainError, latestVersion, type PlanVersionRef } from '@tollgate/key-service-domain';
import type { Database, Sql } from '@tollgate/postgres';
import { accountAggregate, planAggregate } from './aggregates';
import { load } from './execute';

/** What every command handler works with; time comes from `now`, never from the wall clock inside. */
export interface CommandContext {
  db: Database;
  codec: EventCodec;
  hasher: KeyHasher;
  keyPrefix: string;
  defaultRotationGraceMs: number;
  now: () => number;
}

export const notFound = (code: string, message: string) =>
  new DomainError('not_found', code, message);

export async function requireActiveAccount(tx: Sql, accountId: string): Promise<void> {
  const { state } = await load(tx, accountAggregate, accountId);
  if (state.status === 'none')
    throw notFound('account_not_found', `account ${accountId} does not exist`);
  if (state.status === 'suspended')
    throw new DomainError(
      'illegal_state',
      'account_suspended',
      `account ${accountId} is suspended`,
    );
}

/** A plan version to assign: the latest one, or the one asked for. */
export async function requirePlanVersion(
  tx: Sql,
  planId: string,
  version?: number,
): Promise<PlanVersionRef> {
  const { state } = await load(tx, planAggregate, planId);
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
