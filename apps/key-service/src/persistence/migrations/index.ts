import { Migration20261127000000Initial } from './Migration20261127000000_initial';

/** key-service's committed migrations, oldest first. */
export const KEY_SERVICE_MIGRATIONS = [
  { name: 'Migration20261127000000Initial', class: Migration20261127000000Initial },
];
