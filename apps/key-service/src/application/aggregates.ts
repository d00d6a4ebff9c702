import type { EventCodec, TollgateEvent } from '@tollgate/events';
import {
  decideAccount,
  decideKey,
  decidePlan,
  evolveAccount,
  evolveKey,
  evolvePlan,
  initialAccountState,
  initialKeyState,
  initialPlanState,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type KeyCommand,
  type KeyEvent,
  type KeyState,
  type PlanCommand,
  type PlanEvent,
  type PlanState,
} from '@tollgate/key-service-domain';
import { accountIntegrationEvent, keyIntegrationEvent } from '../outbox/integration-events';
import type { KeyServiceEvent } from '../persistence/projections';

export interface Decider<C, E, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

/** One appended domain event with its id and the aggregate state right after it. */
export interface Appended<E, S> {
  event: E;
  eventId: string;
  after: S;
}

/**
 * An event-sourced aggregate as the command handlers see it: where its events are stored, its
 * pure decider, and what the rest of the system hears (through the outbox) of each new event.
 */
export interface Aggregate<C, E extends KeyServiceEvent, S> {
  stream(id: string): string;
  decider: Decider<C, E, S>;
  /** `actor`: who asked for the command (see actor.ts), carried by the published events. */
  published(
    codec: EventCodec,
    appended: Appended<E, S>,
    now: number,
    actor: string | null,
  ): TollgateEvent[];
}

export const keyAggregate: Aggregate<KeyCommand, KeyEvent, KeyState> = {
  stream: (keyId) => `key-${keyId}`,
  decider: { decide: decideKey, evolve: evolveKey, initialState: initialKeyState },
  published: (codec, { event, eventId, after }, now, actor) => [
    keyIntegrationEvent(codec, event, eventId, after, now, actor),
  ],
};

export const accountAggregate: Aggregate<AccountCommand, AccountEvent, AccountState> = {
  stream: (accountId) => `account-${accountId}`,
  decider: { decide: decideAccount, evolve: evolveAccount, initialState: initialAccountState },
  published: (codec, { event, eventId }, now, actor) => {
    const published = accountIntegrationEvent(codec, event, eventId, now, actor);
    return published ? [published] : [];
  },
};

/** Plans are published through the accounts that use them (PlanChanged), not on their own. */
export const planAggregate: Aggregate<PlanCommand, PlanEvent, PlanState> = {
  stream: (planId) => `plan-${planId}`,
  decider: { decide: decidePlan, evolve: evolvePlan, initialState: initialPlanState },
  published: () => [],
};
