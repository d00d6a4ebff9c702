export {
  startStripeStandIn,
  type SeenRequest,
  type StandInCounts,
  type StripeStandIn,
  type StripeStandInOptions,
} from './stripe-stand-in';
export type { FaultKind, FaultMatch } from './faults';
export { IDEMPOTENCY_KEY_TTL_SECONDS } from './idempotency';
export { parseStripeForm } from './form-encoding';
