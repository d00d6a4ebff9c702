import { Migration20261127000000Initial } from './Migration20261127000000_initial';
import { Migration20261202000000LeakedKeyReports } from './Migration20261202000000_leaked_key_reports';
import { Migration20261202120000ScheduledPlanChanges } from './Migration20261202120000_scheduled_plan_changes';
import { Migration20261202130000KeyNames } from './Migration20261202130000_key_names';
import { Migration20261202140000AccountWebhooks } from './Migration20261202140000_account_webhooks';
import { Migration20261203000000AccountNameSearch } from './Migration20261203000000_account_name_search';

/** key-service's committed migrations, oldest first. */
export const KEY_SERVICE_MIGRATIONS = [
  { name: 'Migration20261127000000Initial', class: Migration20261127000000Initial },
  {
    name: 'Migration20261202000000LeakedKeyReports',
    class: Migration20261202000000LeakedKeyReports,
  },
  {
    name: 'Migration20261202120000ScheduledPlanChanges',
    class: Migration20261202120000ScheduledPlanChanges,
  },
  { name: 'Migration20261202130000KeyNames', class: Migration20261202130000KeyNames },
  {
    name: 'Migration20261202140000AccountWebhooks',
    class: Migration20261202140000AccountWebhooks,
  },
  {
    name: 'Migration20261203000000AccountNameSearch',
    class: Migration20261203000000AccountNameSearch,
  },
];
