import { Migration20261201000000Admin } from './Migration20261201000000_admin';
import { Migration20261202100000ConsoleSessions } from './Migration20261202100000_console_sessions';

/** admin-api's committed migrations, oldest first. */
export const ADMIN_API_MIGRATIONS = [
  { name: 'Migration20261201000000Admin', class: Migration20261201000000Admin },
  {
    name: 'Migration20261202100000ConsoleSessions',
    class: Migration20261202100000ConsoleSessions,
  },
];
