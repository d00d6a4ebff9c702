import type { MikroORM } from '@mikro-orm/postgresql';
import { initORM, type OrmOptions } from './orm';
import { createDatabase, type Database } from './sql';

/** The ORM and the `Database` on it, not yet connected (the pool connects on first use). */
export async function connectDatabase(
  options: OrmOptions,
): Promise<{ orm: MikroORM; db: Database }> {
  const orm = await initORM(options, { connect: false });
  return { orm, db: createDatabase(orm, options) };
}
