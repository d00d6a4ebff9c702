import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSchemasModule, generateTypesModule, readSchemaSources } from './generate';
import { contractsPaths } from './paths';

const paths = contractsPaths();
const sources = readSchemaSources(paths.schemas);
writeFileSync(join(paths.generated, 'event-types.ts'), generateTypesModule(sources));
writeFileSync(join(paths.generated, 'event-schemas.ts'), generateSchemasModule(sources));
console.log(`generated event types and schemas for ${Object.keys(sources.current).join(', ')}`);
