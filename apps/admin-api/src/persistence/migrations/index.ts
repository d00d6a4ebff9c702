import { Migration20261201000000Admin } from './Migration20261201000000_admin';

/** admin-api's committed migrations, oldest first. */
export const ADMIN_API_MIGRATIONS = [
  { name: 'Migration20261201000000Admin', class: Migration20261201000000Admin },
];
