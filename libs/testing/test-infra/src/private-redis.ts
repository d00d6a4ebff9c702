import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { isPortOpen } from './endpoints';
import { eventually } from './eventually';

/** A private Redis a test may kill; the shared one is never touched. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  await eventually(
    () => isPortOpen('127.0.0.1', port, 200),
    10_000,
    `redis-server to listen on ${port}`,
  );
  return child;
}

export async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
