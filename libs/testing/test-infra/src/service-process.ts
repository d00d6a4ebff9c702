import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './eventually';
import { workspaceRoot } from './workspace-root';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Waits until the process's `/readyz` answers 200 (dependencies reachable, migrated, caught up). */
  ready(timeoutMs?: number): Promise<void>;
  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export interface ExitedProcess {
  code: number | null;
  output: string;
}

const run = promisify(execFile);

/** Bundles an app exactly as `nx build` does, into a throwaway folder inside the workspace. */
export async function buildServiceArtifact(
  appRoot: string,
): Promise<{ entry: string; remove(): Promise<void> }> {
  const root = workspaceRoot();
  const outdir = join(
    root,
    'dist',
    '.test-builds',
    `${appRoot.replaceAll('/', '-')}-${randomBytes(4).toString('hex')}`,
  );
  await run(process.execPath, [join(root, 'tools/build-app.mjs'), appRoot, '--outdir', outdir], {
    cwd: root,
  });
  return {
    entry: join(outdir, 'main.mjs'),
    remove: () => rm(outdir, { recursive: true, force: true }),
  };
}

/** Bundles a TypeScript script (e.g. a child-process test fixture) so plain `node` can run it. */
export async function bundleScript(
  entry: string,
): Promise<{ entry: string; remove(): Promise<void> }> {
  const root = workspaceRoot();
  const outdir = join(root, 'dist', '.test-builds', `script-${randomBytes(4).toString('hex')}`);
  const outfile = join(outdir, 'main.mjs');
  await run(process.execPath, [join(root, 'tools/run-ts.mjs'), '--bundle-only', entry, outfile], {
    cwd: root,
  });
  return { entry: outfile, remove: () => rm(outdir, { recursive: true, force: true }) };
}

function spawnNode(entry: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--enable-source-maps', entry], {
    cwd: workspaceRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Runs a built app until it exits by itself (e.g. refusing bad config). */
export async function runToExit(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<ExitedProcess> {
  const child = spawnNode(entry, env);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await waitForExit(child);
  clearTimeout(timer);
  return { code, output };
}

/** Starts a built app on a free port and waits until it listens. */
export async function startServiceProcess(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<ServiceProcess> {
  const child = spawnNode(entry, { HOST: '127.0.0.1', PORT: '0', ...env });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: nothing else holds on to it once this rejects.
      child.kill('SIGKILL');
      reject(
        new Error(
          `service did not listen within ${timeoutMs} ms (its port is read from the info-level "Server listening at" line):\n${output}`,
        ),
      );
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url,
    child,
    output: () => output,
    async ready(readyTimeoutMs = 60_000) {
      const answersReady = async () => {
        const res = await fetch(new URL('/readyz', url)).catch(() => undefined);
        return res?.status === 200;
      };
      await eventually(answersReady, readyTimeoutMs, () => `${url}/readyz:\n${output}`);
    },
    async stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
      const exited = waitForExit(child);
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
