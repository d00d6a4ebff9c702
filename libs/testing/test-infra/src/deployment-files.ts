import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { workspaceRoot } from './workspace-root';

interface ComposeService {
  build?: { context?: string; dockerfile?: string; args?: Record<string, string | number> };
  ports?: string[];
  environment?: Record<string, string | number>;
}

/**
 * The apps docker-compose.yml publishes on the host: the two public entry points
 * (docs/architecture.md, "Who may call whom"). Everything else, the infrastructure included, is
 * reachable on the compose network only.
 */
export const PUBLISHED_SERVICES: readonly string[] = ['edge-auth', 'admin-api'];

/** docker-compose.yml with YAML merge keys resolved, as Docker Compose reads it. */
export function readCompose(): { services: Record<string, ComposeService> } {
  const text = readFileSync(join(workspaceRoot(), 'docker-compose.yml'), 'utf8');
  return parse(text, { merge: true }) as { services: Record<string, ComposeService> };
}

/** The one Dockerfile every app's image is built from (`--build-arg APP=<app>`), at the root. */
export const DOCKERFILE = 'Dockerfile';

export function readDockerfile(): string | undefined {
  const path = join(workspaceRoot(), DOCKERFILE);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

export interface DockerStage {
  /** What the stage starts from: an image or an earlier stage's name. */
  from: string;
  name: string | undefined;
  /** The stage's instructions after its FROM line, continuation lines joined. */
  instructions: string[];
}

/** Splits a Dockerfile into its stages; enough to follow stage inheritance, not a full parser. */
export function dockerStages(dockerfile: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from?.[1]) stages.push({ from: from[1], name: from[2], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The user an image built up to `stageName` runs as: the last USER along its stage chain. */
export function effectiveUser(stages: readonly DockerStage[], stageName: string): string {
  let stage = stages.find((s) => s.name === stageName);
  while (stage) {
    const user = stage.instructions.findLast((i) => /^USER\s/i.test(i));
    if (user) return user.slice('USER'.length).trim();
    const parent = stage.from;
    stage = stages.find((s) => s.name === parent);
  }
  return 'root';
}
