/**
 * billing-service's committed migrations, oldest first. None yet: the schema `billing_service` is created and owned
 * from the start, so the first table arrives as an ordinary migration.
 */
export const BILLING_SERVICE_MIGRATIONS = [];
