import { assertNever } from '../common/command-metadata';
import { illegalState, notFound, validation } from '../common/domain-error';
import type { IssueKey, KeyCommand, RevokeKey, UpdateKey } from './key.commands';
import type { KeyEvent } from './key.events';
import { initialKeyState, type KeyState } from './key.state';
import {
  validateExpiry,
  validateKeyName,
  validateMetadata,
  validateReason,
  validateScopes,
} from './key.validation';

export { initialKeyState };

export function decideKey(command: KeyCommand, state: KeyState): KeyEvent[] {
  switch (command.type) {
    case 'IssueKey':
      return issue(command, state);
    case 'RevokeKey':
      return revoke(command, state);
    case 'UpdateKey':
      return update(command, state);
    default:
      return assertNever(command);
  }
}

function issue({ data, metadata }: IssueKey, state: KeyState): KeyEvent[] {
  if (state.status !== 'none')
    throw illegalState('key_already_exists', `key ${data.keyId} already exists`);
  return [
    {
      type: 'KeyIssued',
      data: {
        ...data,
        name: validateKeyName(data.name),
        scopes: validateScopes(data.scopes),
        metadata: validateMetadata(data.metadata),
        expiresAt: validateExpiry(data.expiresAt, metadata.now),
        issuedAt: metadata.now,
      },
    },
  ];
}

function revoke({ data, metadata }: RevokeKey, state: KeyState): KeyEvent[] {
  if (state.status === 'none') throw notFound('key_not_found', `key ${data.keyId} does not exist`);
  const effectiveAt = data.effectiveAt ?? metadata.now;
  if (!Number.isSafeInteger(effectiveAt) || effectiveAt < metadata.now) {
    throw validation(
      'effective_at_in_past',
      'effectiveAt must be now or in the future',
      'effectiveAt',
    );
  }
  if (state.status === 'revoked') {
    // A key in its rotation grace period may still be cut off sooner (e.g. it leaked), never rotated again.
    const shortensGrace =
      state.effectiveAt > metadata.now && effectiveAt < state.effectiveAt && !data.replacedByKeyId;
    if (!shortensGrace)
      throw illegalState('key_already_revoked', `key ${data.keyId} is already revoked`);
  }
  return [
    {
      type: 'KeyRevoked',
      data: {
        keyId: data.keyId,
        reason: validateReason(data.reason),
        effectiveAt,
        revokedAt: metadata.now,
        replacedByKeyId: data.replacedByKeyId ?? null,
      },
    },
  ];
}

function update({ data, metadata }: UpdateKey, state: KeyState): KeyEvent[] {
  if (state.status === 'none') throw notFound('key_not_found', `key ${data.keyId} does not exist`);
  if (state.status === 'revoked')
    throw illegalState('key_revoked', `key ${data.keyId} is revoked and cannot change`);
  // An expired key stays expired (as it cannot be rotated): a new expiry would bring a key that
  // stopped working back to life. Its name, scopes and metadata may still change.
  if (data.expiresAt !== undefined && state.expiresAt !== null && state.expiresAt <= metadata.now)
    throw illegalState(
      'key_expired',
      `key ${data.keyId} has expired and cannot be given a new expiry; issue a new key`,
    );
  return [
    {
      type: 'KeyUpdated',
      data: {
        keyId: data.keyId,
        name: data.name === undefined ? (state.name ?? null) : validateKeyName(data.name),
        scopes: data.scopes ? validateScopes(data.scopes) : state.scopes,
        metadata: data.metadata ? validateMetadata(data.metadata) : state.metadata,
        expiresAt:
          data.expiresAt === undefined
            ? state.expiresAt
            : validateExpiry(data.expiresAt, metadata.now),
        updatedAt: metadata.now,
      },
    },
  ];
}

export function evolveKey(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyIssued':
      return { status: 'active', ...event.data, name: event.data.name ?? null };
    case 'KeyRevoked': {
      if (state.status === 'none') return state;
      const { reason, effectiveAt, revokedAt, replacedByKeyId } = event.data;
      return { ...state, status: 'revoked', reason, effectiveAt, revokedAt, replacedByKeyId };
    }
    case 'KeyUpdated': {
      if (state.status === 'none') return state;
      const { scopes, metadata, expiresAt } = event.data;
      // An update recorded before keys had names leaves the name as it was.
      const name = event.data.name === undefined ? (state.name ?? null) : event.data.name;
      return { ...state, name, scopes, metadata, expiresAt };
    }
    default:
      return assertNever(event);
  }
}
