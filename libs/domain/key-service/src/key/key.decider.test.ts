import { describe, expect, it } from 'vitest';
import { deciderSpec } from '../common/decider-spec';
import type { IssueKey } from './key.commands';
import { decideKey, evolveKey, initialKeyState } from './key.decider';
import type { KeyIssued } from './key.events';

const T0 = 1_764_201_600_000;
const HOUR = 3_600_000;
const spec = deciderSpec({ decide: decideKey, evolve: evolveKey, initialState: initialKeyState });

const issueData: IssueKey['data'] = {
  keyId: 'key_1',
  accountId: 'acct_1',
  keyHash: 'ab'.repeat(32),
  pepperVersion: 1,
  displayHint: 'tg_live_…abcd',
  name: ' billing worker ',
  env: 'live',
  scopes: ['usage:read', 'orders:write', 'usage:read'],
  metadata: { team: 'payments' },
  expiresAt: T0 + 24 * HOUR,
  rotatedFromKeyId: null,
};
const issued: KeyIssued = {
  type: 'KeyIssued',
  data: {
    ...issueData,
    name: 'billing worker',
    scopes: ['orders:write', 'usage:read'],
    issuedAt: T0,
  },
};
const at = (now: number) => ({ now });

describe('key decider', () => {
  describe('IssueKey', () => {
    it('issues a key with normalized scopes', () => {
      spec
        .given([])
        .when({ type: 'IssueKey', data: issueData, metadata: at(T0) })
        .then([issued]);
    });
    it('refuses an expiry in the past', () => {
      spec
        .given([])
        .when({ type: 'IssueKey', data: { ...issueData, expiresAt: T0 - 1 }, metadata: at(T0) })
        .thenThrows('expiry_in_past', 'validation');
    });
    it('refuses malformed scopes and oversized metadata', () => {
      spec
        .given([])
        .when({ type: 'IssueKey', data: { ...issueData, scopes: ['Bad Scope'] }, metadata: at(T0) })
        .thenThrows('invalid_scope');
      const metadata = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
      spec
        .given([])
        .when({ type: 'IssueKey', data: { ...issueData, metadata }, metadata: at(T0) })
        .thenThrows('too_much_metadata');
    });
    it('refuses to issue the same key id twice', () => {
      spec
        .given([issued])
        .when({ type: 'IssueKey', data: issueData, metadata: at(T0) })
        .thenThrows('key_already_exists', 'illegal_state');
    });
  });

  describe('RevokeKey', () => {
    it('revokes immediately by default', () => {
      spec
        .given([issued])
        .when({
          type: 'RevokeKey',
          data: { keyId: 'key_1', reason: ' leaked ' },
          metadata: at(T0 + HOUR),
        })
        .then([
          {
            type: 'KeyRevoked',
            data: {
              keyId: 'key_1',
              reason: 'leaked',
              effectiveAt: T0 + HOUR,
              revokedAt: T0 + HOUR,
              replacedByKeyId: null,
            },
          },
        ]);
    });
    it('schedules a future revocation for a rotation grace period', () => {
      spec
        .given([issued])
        .when({
          type: 'RevokeKey',
          data: {
            keyId: 'key_1',
            reason: 'rotated',
            effectiveAt: T0 + 24 * HOUR,
            replacedByKeyId: 'key_2',
          },
          metadata: at(T0),
        })
        .then([
          {
            type: 'KeyRevoked',
            data: {
              keyId: 'key_1',
              reason: 'rotated',
              effectiveAt: T0 + 24 * HOUR,
              revokedAt: T0,
              replacedByKeyId: 'key_2',
            },
          },
        ]);
    });
    const inGrace = {
      type: 'KeyRevoked' as const,
      data: {
        keyId: 'key_1',
        reason: 'rotated',
        effectiveAt: T0 + 24 * HOUR,
        revokedAt: T0,
        replacedByKeyId: 'key_2',
      },
    };
    it('may cut a grace period short', () => {
      spec
        .given([issued, inGrace])
        .when({
          type: 'RevokeKey',
          data: { keyId: 'key_1', reason: 'leaked' },
          metadata: at(T0 + HOUR),
        })
        .then([
          {
            type: 'KeyRevoked',
            data: {
              keyId: 'key_1',
              reason: 'leaked',
              effectiveAt: T0 + HOUR,
              revokedAt: T0 + HOUR,
              replacedByKeyId: null,
            },
          },
        ]);
    });
    it('refuses to revoke twice', () => {
      const revokedNow = {
        ...inGrace,
        data: { ...inGrace.data, effectiveAt: T0, replacedByKeyId: null },
      };
      spec
        .given([issued, revokedNow])
        .when({
          type: 'RevokeKey',
          data: { keyId: 'key_1', reason: 'again' },
          metadata: at(T0 + 1),
        })
        .thenThrows('key_already_revoked', 'illegal_state');
    });
    it('refuses to rotate a revoked key, even inside its grace period', () => {
      spec
        .given([issued, inGrace])
        .when({
          type: 'RevokeKey',
          data: { keyId: 'key_1', reason: 'rotated', replacedByKeyId: 'key_3' },
          metadata: at(T0 + 1),
        })
        .thenThrows('key_already_revoked');
    });
    it('refuses a revocation effective in the past', () => {
      spec
        .given([issued])
        .when({
          type: 'RevokeKey',
          data: { keyId: 'key_1', reason: 'x', effectiveAt: T0 - 1 },
          metadata: at(T0),
        })
        .thenThrows('effective_at_in_past', 'validation');
    });
    it('cannot revoke an unknown key', () => {
      spec
        .given([])
        .when({ type: 'RevokeKey', data: { keyId: 'key_1', reason: 'x' }, metadata: at(T0) })
        .thenThrows('key_not_found', 'not_found');
    });
  });

  describe('UpdateKey', () => {
    it('changes only what is given and carries the full resulting state', () => {
      spec
        .given([issued])
        .when({
          type: 'UpdateKey',
          data: { keyId: 'key_1', scopes: ['usage:read'], expiresAt: null },
          metadata: at(T0 + 1),
        })
        .then([
          {
            type: 'KeyUpdated',
            data: {
              keyId: 'key_1',
              name: 'billing worker',
              scopes: ['usage:read'],
              metadata: { team: 'payments' },
              expiresAt: null,
              updatedAt: T0 + 1,
            },
          },
        ]);
    });
    it('renames or unnames a key, and refuses a bad name', () => {
      spec
        .given([issued])
        .when({
          type: 'UpdateKey',
          data: { keyId: 'key_1', name: 'nightly export' },
          metadata: at(T0 + 1),
        })
        .then([
          {
            type: 'KeyUpdated',
            data: {
              keyId: 'key_1',
              name: 'nightly export',
              scopes: ['orders:write', 'usage:read'],
              metadata: { team: 'payments' },
              expiresAt: T0 + 24 * HOUR,
              updatedAt: T0 + 1,
            },
          },
        ]);
      const unnamed = decideKey(
        { type: 'UpdateKey', data: { keyId: 'key_1', name: null }, metadata: at(T0 + 1) },
        evolveKey(initialKeyState(), issued),
      );
      expect(unnamed[0]?.type === 'KeyUpdated' && unnamed[0].data.name).toBeNull();
      for (const name of ['', '   ', 'x'.repeat(101), 'tab\there', 'nul\u0000'])
        spec
          .given([issued])
          .when({ type: 'UpdateKey', data: { keyId: 'key_1', name }, metadata: at(T0 + 1) })
          .thenThrows('invalid_key_name', 'validation');
    });
    it('reads events recorded before keys had names as unnamed', () => {
      const { name: _name, ...old } = issued.data;
      const state = evolveKey(initialKeyState(), { type: 'KeyIssued', data: old });
      expect(state.status !== 'none' && state.name).toBeNull();
      const updated = evolveKey(evolveKey(initialKeyState(), issued), {
        type: 'KeyUpdated',
        data: { keyId: 'key_1', scopes: [], metadata: {}, expiresAt: null, updatedAt: T0 + 1 },
      });
      expect(updated.status !== 'none' && updated.name).toBe('billing worker');
    });
    it('refuses to change a revoked key', () => {
      const revoked = {
        type: 'KeyRevoked' as const,
        data: {
          keyId: 'key_1',
          reason: 'x',
          effectiveAt: T0,
          revokedAt: T0,
          replacedByKeyId: null,
        },
      };
      spec
        .given([issued, revoked])
        .when({ type: 'UpdateKey', data: { keyId: 'key_1', scopes: [] }, metadata: at(T0 + 1) })
        .thenThrows('key_revoked', 'illegal_state');
    });
    it('refuses a new expiry for an expired key (it stays expired), and still takes a new name', () => {
      const expiredAt = T0 + 24 * HOUR;
      for (const expiresAt of [null, expiredAt + 48 * HOUR])
        spec
          .given([issued])
          .when({ type: 'UpdateKey', data: { keyId: 'key_1', expiresAt }, metadata: at(expiredAt) })
          .thenThrows('key_expired', 'illegal_state');
      const renamed = decideKey(
        {
          type: 'UpdateKey',
          data: { keyId: 'key_1', name: 'retired' },
          metadata: at(expiredAt + 1),
        },
        evolveKey(initialKeyState(), issued),
      );
      expect(renamed[0]?.type === 'KeyUpdated' && renamed[0].data.expiresAt).toBe(expiredAt);
    });
    it('refuses an expiry in the past and an unknown key', () => {
      spec
        .given([issued])
        .when({ type: 'UpdateKey', data: { keyId: 'key_1', expiresAt: T0 }, metadata: at(T0 + 1) })
        .thenThrows('expiry_in_past');
      spec
        .given([])
        .when({ type: 'UpdateKey', data: { keyId: 'key_1' }, metadata: at(T0) })
        .thenThrows('key_not_found');
    });
  });
});
