import { Migration20261202090000Billing } from './Migration20261202090000_billing';
import { Migration20261202100000Stripe } from './Migration20261202100000_stripe';
import { Migration20261202110000ProrationInvoices } from './Migration20261202110000_proration_invoices';

/** billing-service's committed migrations, oldest first. */
export const BILLING_SERVICE_MIGRATIONS = [
  { name: 'Migration20261202090000Billing', class: Migration20261202090000Billing },
  { name: 'Migration20261202100000Stripe', class: Migration20261202100000Stripe },
  {
    name: 'Migration20261202110000ProrationInvoices',
    class: Migration20261202110000ProrationInvoices,
  },
];
