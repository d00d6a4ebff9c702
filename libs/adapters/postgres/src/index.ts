export { createPostgres, type PostgresClient, type PostgresOptions } from './postgres-client';
