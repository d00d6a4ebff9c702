import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Locations inside libs/contracts/events, found from the workspace root (holder of nx.json). */
export function contractsPaths(start: string = process.cwd()) {
  let root = start;
  while (!existsSync(join(root, 'nx.json'))) {
    const parent = dirname(root);
    if (parent === root) throw new Error('run from inside the Tollgate workspace');
    root = parent;
  }
  const lib = join(root, 'libs/contracts/events');
  return {
    lib,
    schemas: join(lib, 'schemas'),
    generated: join(lib, 'src/generated'),
    fixtures: join(lib, 'fixtures'),
  };
}
