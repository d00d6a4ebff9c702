import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { workspaceRoot } from './workspace-root';

interface ComposeService {
  build?: { context?: string; dockerfile?: string };
  ports?: string[];
  environment?: Record<string, string | number>;
}

/** docker-compose.yml with YAML merge keys resolved, as Docker Compose reads it. */
export function readCompose(): { services: Record<string, ComposeService> } {
  const text = readFileSync(join(workspaceRoot(), 'docker-compose.yml'), 'utf8');
  return parse(text, { merge: true }) as { services: Record<string, ComposeService> };
}

export function readDockerfile(appRoot: string): string | undefined {
  const path = join(workspaceRoot(), appRoot, 'Dockerfile');
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
