import { Migration20261127010000Usage } from './Migration20261127010000_usage';

/** usage-ingestor's committed migrations, oldest first. */
export const USAGE_MIGRATIONS = [
  { name: 'Migration20261127010000Usage', class: Migration20261127010000Usage },
];
