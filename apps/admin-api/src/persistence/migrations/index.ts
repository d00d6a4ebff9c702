/**
 * admin-api's committed migrations, oldest first. None yet: the schema `admin_api` is created and owned
 * from the start, so the first table arrives as an ordinary migration.
 */
export const ADMIN_API_MIGRATIONS = [];
