export { DomainError, type DomainErrorKind } from './common/domain-error';
export { assertNever, type CommandMetadata } from './common/command-metadata';
export * from './key/key.events';
export * from './key/key.commands';
export { decideKey, evolveKey, initialKeyState } from './key/key.decider';
export type { KeyState } from './key/key.state';
export * from './account/account.events';
export * from './account/account.commands';
export {
  accountAt,
  decideAccount,
  evolveAccount,
  initialAccountState,
  type AccountState,
} from './account/account.decider';
export * from './plan/plan.events';
export * from './plan/plan.commands';
export {
  decidePlan,
  evolvePlan,
  initialPlanState,
  latestVersion,
  type PlanState,
} from './plan/plan.decider';
export {
  validatePlanDefinition,
  type OverageTier,
  type PlanDefinition,
  type PlanPrice,
  type RateLimitPolicy,
} from './plan/plan-definition';
export { DEFAULT_PLANS } from './plan/default-plans';
