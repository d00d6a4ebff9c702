import { assertNever } from '../common/command-metadata';
import { illegalState, notFound, validation } from '../common/domain-error';
import { validateReason } from '../key/key.validation';
import type { AccountCommand } from './account.commands';
import type { AccountEvent } from './account.events';

interface AccountFacts {
  accountId: string;
  name: string;
  plan: { planId: string; planVersion: number };
  /** The currency of the current plan's price; every later plan must use it (null before the first plan). */
  currency: string | null;
}

/** An account always has exactly one current plan; `status` says whether its keys may be used. */
export type AccountState =
  | { status: 'none' }
  | ({ status: 'active' } & AccountFacts)
  | ({ status: 'suspended'; reason: string } & AccountFacts);

export const initialAccountState = (): AccountState => ({ status: 'none' });

export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  const { metadata } = command;
  switch (command.type) {
    case 'CreateAccount': {
      const { accountId, name, plan } = command.data;
      if (state.status !== 'none')
        throw illegalState('account_already_exists', `account ${accountId} already exists`);
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 200)
        throw validation('invalid_name', 'name must be 1-200 characters', 'name');
      return [
        { type: 'AccountCreated', data: { accountId, name: trimmed, createdAt: metadata.now } },
        {
          type: 'PlanAssigned',
          data: {
            accountId,
            ...plan,
            previous: null,
            effectiveAt: metadata.now,
            assignedAt: metadata.now,
          },
        },
      ];
    }
    case 'AssignPlan': {
      const { accountId, plan } = command.data;
      if (state.status === 'none')
        throw notFound('account_not_found', `account ${accountId} does not exist`);
      const effectiveAt = command.data.effectiveAt ?? metadata.now;
      if (!Number.isSafeInteger(effectiveAt) || effectiveAt < metadata.now) {
        throw validation(
          'effective_at_in_past',
          'effectiveAt must be now or in the future',
          'effectiveAt',
        );
      }
      if (state.plan.planId === plan.planId && state.plan.planVersion === plan.planVersion) {
        throw illegalState(
          'plan_already_assigned',
          `account ${accountId} is already on ${plan.planId} v${plan.planVersion}`,
        );
      }
      // An invoice has one currency, and a period may hold segments of two plans.
      if (state.currency !== null && plan.definition.price.currency !== state.currency) {
        throw illegalState(
          'plan_currency_mismatch',
          `account ${accountId} is billed in ${state.currency}; ${plan.planId} v${plan.planVersion} is priced in ${plan.definition.price.currency}`,
        );
      }
      return [
        {
          type: 'PlanAssigned',
          data: { accountId, ...plan, previous: state.plan, effectiveAt, assignedAt: metadata.now },
        },
      ];
    }
    case 'SuspendAccount': {
      const { accountId } = command.data;
      if (state.status === 'none')
        throw notFound('account_not_found', `account ${accountId} does not exist`);
      if (state.status === 'suspended')
        throw illegalState(
          'account_already_suspended',
          `account ${accountId} is already suspended`,
        );
      return [
        {
          type: 'AccountSuspended',
          data: {
            accountId,
            reason: validateReason(command.data.reason),
            suspendedAt: metadata.now,
          },
        },
      ];
    }
    case 'ReactivateAccount': {
      const { accountId } = command.data;
      if (state.status === 'none')
        throw notFound('account_not_found', `account ${accountId} does not exist`);
      if (state.status === 'active')
        throw illegalState('account_not_suspended', `account ${accountId} is not suspended`);
      return [{ type: 'AccountReactivated', data: { accountId, reactivatedAt: metadata.now } }];
    }
    default:
      return assertNever(command);
  }
}

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountCreated':
      return {
        status: 'active',
        accountId: event.data.accountId,
        name: event.data.name,
        plan: { planId: '', planVersion: 0 },
        currency: null,
      };
    case 'PlanAssigned':
      if (state.status === 'none') return state;
      return {
        ...state,
        plan: { planId: event.data.planId, planVersion: event.data.planVersion },
        currency: event.data.definition.price.currency,
      };
    case 'AccountSuspended':
      if (state.status === 'none') return state;
      return { ...state, status: 'suspended', reason: event.data.reason };
    case 'AccountReactivated': {
      if (state.status !== 'suspended') return state;
      const { reason: _reason, ...rest } = state;
      return { ...rest, status: 'active' };
    }
    default:
      return assertNever(event);
  }
}
