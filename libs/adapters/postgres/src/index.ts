export { createPostgres, type PostgresClient, type PostgresOptions } from './postgres-client';
export { initORM, migrate, type OrmOptions } from './orm';
export { createDatabase, databaseDependency, type Database, type Sql } from './sql';
export { startupTask } from './startup-task';
