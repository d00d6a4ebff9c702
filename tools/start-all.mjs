#!/usr/bin/env node
// `npm start`: builds the five apps, runs each on its default port, waits until each is ready,
// prints their URLs, and on Ctrl-C / SIGTERM stops them all gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { firstRunDemo } from './first-run-demo.mjs';

if (process.env.NODE_ENV === 'production') {
  console.error(
    'npm start is for development: it generates credentials and demo data. Deploy the images instead.',
  );
  process.exit(2);
}

const root = resolve(import.meta.dirname, '..');
const apps = [
  { name: 'edge-auth', port: 8080 },
  { name: 'admin-api', port: 8081 },
  { name: 'key-service', port: 8082 },
  { name: 'usage-ingestor', port: 8083 },
  { name: 'billing-service', port: 8084 },
];
const host = process.env.HOST ?? '127.0.0.1';
// Development service credentials, new on every start (the apps start together).
const credential = () => randomBytes(32).toString('base64url');
const credentials = { admin: credential(), edge: credential(), billing: credential() };
const appEnv = {
  'edge-auth': { SERVICE_TOKEN: credentials.edge },
  'admin-api': { SERVICE_TOKEN: credentials.admin },
  'key-service': {
    SERVICE_TOKENS: `admin-api:${credentials.admin},edge-auth:${credentials.edge},billing-service:${credentials.billing}`,
  },
  'usage-ingestor': {
    SERVICE_TOKENS: `admin-api:${credentials.admin},billing-service:${credentials.billing}`,
  },
  'billing-service': {
    SERVICE_TOKEN: credentials.billing,
    SERVICE_TOKENS: `admin-api:${credentials.admin}`,
  },
};
const readyTimeoutMs = Number(process.env.START_READY_TIMEOUT_MS ?? 60_000);

const built = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

const width = Math.max(...apps.map((a) => a.name.length));
let stopping = false;
const children = apps.map((app) => {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', `dist/apps/${app.name}/main.mjs`],
    {
      cwd: root,
      env: { ...process.env, HOST: host, PORT: String(app.port), ...appEnv[app.name] },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`${app.name.padEnd(width)} | ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `${app.name} exited unexpectedly (code ${code}, signal ${signal}); stopping the others`,
      );
      stopAll(1);
    }
  });
  return { ...app, child };
});

async function waitReady({ name, port }) {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://${host}:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} was not ready on port ${port} within ${readyTimeoutMs} ms`);
}

let exitCode = 0;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(
    children.map(({ child }) =>
      child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null,
    ),
  ).then(() => process.exit(exitCode));
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

try {
  await Promise.all(children.map(waitReady));
  const lines = children.map(
    ({ name, port }) =>
      `  ${name.padEnd(width)}  http://${host}:${port}  ${
        name === 'edge-auth'
          ? '(/healthz /readyz; /metrics on 127.0.0.1:9080)'
          : name === 'admin-api'
            ? `(/healthz /readyz /metrics; console at http://${host}:${port}/console/)`
            : '(/healthz /readyz /metrics)'
      }`,
  );
  console.log(`\nTollgate is running:\n${lines.join('\n')}\n`);
  console.log(`${await firstRunDemo({ root, host })}\n\nPress Ctrl-C to stop.\n`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  stopAll(1);
}
