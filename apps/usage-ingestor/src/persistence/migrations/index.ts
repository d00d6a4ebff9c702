import { Migration20261127010000Usage } from './Migration20261127010000_usage';
import { Migration20261202130000ProgressPerPartition } from './Migration20261202130000_progress_per_partition';
import { Migration20261203000000UsageBucketBrin } from './Migration20261203000000_usage_bucket_brin';

/** usage-ingestor's committed migrations, oldest first. */
export const USAGE_MIGRATIONS = [
  { name: 'Migration20261127010000Usage', class: Migration20261127010000Usage },
  {
    name: 'Migration20261202130000ProgressPerPartition',
    class: Migration20261202130000ProgressPerPartition,
  },
  {
    name: 'Migration20261203000000UsageBucketBrin',
    class: Migration20261203000000UsageBucketBrin,
  },
];
