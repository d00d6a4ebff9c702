import { randomBytes } from 'node:crypto';

/** A short name unique to this test run, safe for Postgres identifiers, Redis keys and Kafka topics. */
export function uniqueName(base: string): string {
  const clean = base
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  return `t_${clean}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
