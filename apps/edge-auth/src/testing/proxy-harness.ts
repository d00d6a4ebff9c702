import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, freePort, workspaceRoot } from '@tollgate/test-infra';

/** What reached the API behind the proxy. */
export interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The API behind a proxy: answers 200 and records every request that reached it. */
export async function startRecordingUpstream(): Promise<{
  port: number;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ url: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with the request target exactly as given: fetch would resolve dot segments
 * and turn backslashes into slashes before anything is sent.
 */
export function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers, insecureHTTPParser: true },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface RunningProxy {
  port: number;
  close(): Promise<void>;
}

/** Renders a shipped proxy template with the test's addresses. */
async function render(
  template: string,
  values: { listen: string; edge: string; upstream: string; prefix: string },
): Promise<string> {
  const text = await readFile(join(workspaceRoot(), template), 'utf8');
  return text
    .replaceAll('__PREFIX__', values.prefix)
    .replaceAll('__LISTEN__', values.listen)
    .replaceAll('__EDGE_AUTH__', values.edge)
    .replaceAll('__UPSTREAM__', values.upstream);
}

async function untilListening(port: number, what: string): Promise<void> {
  await eventually(
    async () => {
      try {
        await rawRequest(port, 'GET', '/');
        return true;
      } catch {
        return false;
      }
    },
    15_000,
    `${what} to listen`,
  );
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** `infra/nginx/forward-auth.conf.template` run by the Debian nginx (`infra/stack.sh --test-tools`). */
export async function startNginx(edgePort: number, upstreamPort: number): Promise<RunningProxy> {
  if (spawnSync('nginx', ['-v']).status !== 0)
    throw new Error(
      'nginx is required (infra/stack.sh up --test-tools, or apt-get install nginx-light)',
    );
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-nginx-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'nginx.conf'),
    await render('infra/nginx/forward-auth.conf.template', {
      prefix: dir,
      listen: `127.0.0.1:${port}`,
      edge: `127.0.0.1:${edgePort}`,
      upstream: `127.0.0.1:${upstreamPort}`,
    }),
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  await untilListening(port, 'nginx');
  return {
    port,
    async close() {
      await stopChild(child, 'SIGQUIT');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `infra/caddy/Caddyfile.template` run by the Debian caddy (`infra/stack.sh --test-tools`). */
export async function startCaddy(edgePort: number, upstreamPort: number): Promise<RunningProxy> {
  if (spawnSync('caddy', ['version']).status !== 0)
    throw new Error('caddy is required (infra/stack.sh up --test-tools, or apt-get install caddy)');
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-caddy-'));
  const port = await freePort();
  const config = join(dir, 'Caddyfile');
  await writeFile(
    config,
    await render('infra/caddy/Caddyfile.template', {
      prefix: dir,
      listen: `127.0.0.1:${port}`,
      edge: `127.0.0.1:${edgePort}`,
      upstream: `127.0.0.1:${upstreamPort}`,
    }),
  );
  const child = spawn('caddy', ['run', '--config', config, '--adapter', 'caddyfile'], {
    stdio: 'ignore',
    // Caddy keeps its state under XDG paths: a throwaway home keeps the machine's untouched.
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  await untilListening(port, 'caddy');
  return {
    port,
    async close() {
      await stopChild(child, 'SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
