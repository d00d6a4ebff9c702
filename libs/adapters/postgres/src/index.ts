export { initORM, migrate, type OrmOptions } from './orm';
export { connectDatabase } from './database';
export { createDatabase, databaseDependency, type Database, type Sql } from './sql';
export { openPinnedSession, type PinnedSession, type PinnedSessionOptions } from './pinned-session';
export { assertSchemaName } from './schema-name';
export { startupTask, type StartupTask } from './startup-task';
export { enqueueOutbox, OUTBOX_TABLES_SQL, readOutbox, type OutboxRow } from './outbox/outbox';
export { OutboxRelay, type OutboxRelayOptions, type RelayLog } from './outbox/outbox-relay';
