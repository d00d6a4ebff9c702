import { ProblemError } from '@tollgate/service-runtime';
import { CurrencyMixError, UnpricedPlanError } from '../domain/rating';

/** The one place billing's own errors become HTTP problems. */
export function mapBillingError(error: unknown): ProblemError | undefined {
  if (error instanceof UnpricedPlanError)
    return new ProblemError('conflict', error.message, { reason: 'plan_without_price' });
  if (error instanceof CurrencyMixError)
    return new ProblemError('conflict', error.message, { reason: 'plan_currency_mismatch' });
  return undefined;
}
