import { isId, planSnapshotProblem, type KeyState, type TollgateEvent } from '@tollgate/events';

export interface Refusal {
  /** Stable, for the metric label and the dead letter's reason header. */
  reason: 'invalid_plan' | 'invalid_key_state' | 'invalid_account';
  detail: string;
}

const KEY_HASH = /^[0-9a-f]{64}$/;

/**
 * Why the key table must not apply an event it read, or null. The Avro schema fixes the types;
 * this fixes what the types allow but the edge cannot enforce: plans outside the shared bounds
 * (the same check key-service runs on write), hashes that are not 32 bytes of hex, bad ids.
 */
export function eventRefusal(event: TollgateEvent): Refusal | null {
  switch (event.type) {
    case 'KeyIssued':
    case 'KeyUpdated':
    case 'KeyRevoked':
      return keyStateRefusal(event.payload.key);
    case 'PlanChanged': {
      if (!isId('account', event.payload.accountId))
        return { reason: 'invalid_account', detail: 'accountId is not an account id' };
      const problem = planSnapshotProblem(event.payload.plan);
      return problem
        ? { reason: 'invalid_plan', detail: `plan.${problem.field} ${problem.message}` }
        : null;
    }
    case 'AccountStatusChanged':
      return isId('account', event.payload.accountId)
        ? null
        : { reason: 'invalid_account', detail: 'accountId is not an account id' };
    default:
      // Usage and billing events: the key table never reads them.
      return null;
  }
}

function keyStateRefusal(key: KeyState): Refusal | null {
  if (!KEY_HASH.test(key.keyHash))
    return { reason: 'invalid_key_state', detail: 'keyHash is not 64 lowercase hex characters' };
  if (!isId('key', key.keyId) || !isId('account', key.accountId))
    return { reason: 'invalid_key_state', detail: 'keyId or accountId is not a valid id' };
  if (!Number.isSafeInteger(key.pepperVersion) || key.pepperVersion < 1)
    return { reason: 'invalid_key_state', detail: 'pepperVersion is not a positive integer' };
  return null;
}
