import { assertNever } from '../common/command-metadata';
import { illegalState, notFound, validation } from '../common/domain-error';
import { validateReason } from '../key/key.validation';
import type { AccountCommand } from './account.commands';
import type { AccountEvent } from './account.events';

interface PlanFacts {
  planId: string;
  planVersion: number;
  /** The currency of the plan's price; every later plan must use it. */
  currency: string;
}

interface AccountFacts {
  accountId: string;
  name: string;
  plan: { planId: string; planVersion: number };
  /** The currency of the current plan's price; every later plan must use it (null before the first plan). */
  currency: string | null;
  /**
   * A plan change that takes effect later (e.g. a downgrade at the period's end). It is not the
   * account's plan before `effectiveAt`; a newer assignment replaces it; it can be cancelled.
   */
  scheduled: (PlanFacts & { effectiveAt: number }) | null;
}

/** The account as of `now`: a scheduled change that has come due is its plan. */
export function accountAt<S extends AccountState>(state: S, now: number): S {
  if (state.status === 'none' || !state.scheduled || state.scheduled.effectiveAt > now)
    return state;
  const { planId, planVersion, currency } = state.scheduled;
  return { ...state, plan: { planId, planVersion }, currency, scheduled: null };
}

/** An account always has exactly one current plan; `status` says whether its keys may be used. */
export type AccountState =
  | { status: 'none' }
  | ({ status: 'active' } & AccountFacts)
  | ({ status: 'suspended'; reason: string } & AccountFacts);

export const initialAccountState = (): AccountState => ({ status: 'none' });

export function decideAccount(command: AccountCommand, given: AccountState): AccountEvent[] {
  const { metadata } = command;
  const state = accountAt(given, metadata.now);
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
      const same = (p: { planId: string; planVersion: number } | null) =>
        p !== null && p.planId === plan.planId && p.planVersion === plan.planVersion;
      // Asking for the current plan while a change is scheduled is allowed: it cancels the change.
      if (same(state.plan) && state.scheduled === null) {
        throw illegalState(
          'plan_already_assigned',
          `account ${accountId} is already on ${plan.planId} v${plan.planVersion}`,
        );
      }
      if (same(state.scheduled) && state.scheduled?.effectiveAt === effectiveAt) {
        throw illegalState(
          'plan_already_assigned',
          `account ${accountId} is already moving to ${plan.planId} v${plan.planVersion} at that time`,
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
    case 'CancelScheduledPlanChange': {
      const { accountId, plan } = command.data;
      if (state.status === 'none')
        throw notFound('account_not_found', `account ${accountId} does not exist`);
      if (state.scheduled === null)
        throw illegalState(
          'no_scheduled_plan_change',
          `account ${accountId} has no scheduled plan change`,
        );
      if (state.plan.planId !== plan.planId || state.plan.planVersion !== plan.planVersion)
        throw illegalState(
          'plan_changed_meanwhile',
          `account ${accountId} is on ${state.plan.planId} v${state.plan.planVersion}, not ${plan.planId} v${plan.planVersion}`,
        );
      // Re-affirming the current plan from now on replaces the scheduled change everywhere
      // (edge-auth and billing-service apply the newest assignment).
      return [
        {
          type: 'PlanAssigned',
          data: {
            accountId,
            ...plan,
            previous: state.plan,
            effectiveAt: metadata.now,
            assignedAt: metadata.now,
          },
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
        scheduled: null,
      };
    case 'PlanAssigned': {
      if (state.status === 'none') return state;
      const { planId, planVersion, effectiveAt, assignedAt } = event.data;
      const currency = event.data.definition.price.currency;
      // Any earlier scheduled change that had come due by now is the plan this one replaces.
      const current = accountAt(state, assignedAt);
      if (effectiveAt > assignedAt)
        return { ...current, scheduled: { planId, planVersion, currency, effectiveAt } };
      return { ...current, plan: { planId, planVersion }, currency, scheduled: null };
    }
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
