import { assertNever } from '../common/command-metadata';
import { illegalState, notFound } from '../common/domain-error';
import type { PlanCommand } from './plan.commands';
import type { PlanDefinition } from './plan-definition';
import { validatePlanDefinition } from './plan-definition';
import type { PlanEvent } from './plan.events';

export type PlanState =
  | { status: 'none' }
  | {
      status: 'active';
      planId: string;
      versions: Array<{ version: number; definition: PlanDefinition }>;
    };

export const initialPlanState = (): PlanState => ({ status: 'none' });

export function decidePlan(command: PlanCommand, state: PlanState): PlanEvent[] {
  const { data, metadata } = command;
  switch (command.type) {
    case 'CreatePlan': {
      if (state.status !== 'none')
        throw illegalState('plan_already_exists', `plan ${data.planId} already exists`);
      const definition = validatePlanDefinition(data.definition);
      return [
        { type: 'PlanCreated', data: { planId: data.planId, createdAt: metadata.now } },
        {
          type: 'PlanVersionCreated',
          data: { planId: data.planId, version: 1, definition, createdAt: metadata.now },
        },
      ];
    }
    case 'CreatePlanVersion': {
      if (state.status === 'none')
        throw notFound('plan_not_found', `plan ${data.planId} does not exist`);
      const definition = validatePlanDefinition(data.definition);
      const version = state.versions.length + 1;
      return [
        {
          type: 'PlanVersionCreated',
          data: { planId: data.planId, version, definition, createdAt: metadata.now },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export function evolvePlan(state: PlanState, event: PlanEvent): PlanState {
  switch (event.type) {
    case 'PlanCreated':
      return { status: 'active', planId: event.data.planId, versions: [] };
    case 'PlanVersionCreated':
      if (state.status === 'none') return state;
      return {
        ...state,
        versions: [
          ...state.versions,
          { version: event.data.version, definition: event.data.definition },
        ],
      };
    default:
      return assertNever(event);
  }
}

export function latestVersion(
  state: PlanState,
): { version: number; definition: PlanDefinition } | undefined {
  return state.status === 'active' ? state.versions.at(-1) : undefined;
}
