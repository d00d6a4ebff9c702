import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { isPortOpen } from './endpoints';
import { eventually } from './eventually';
import { freePorts } from './free-ports';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspaceRoot } from './workspace-root';

const run = promisify(execFile);

/**
 * A Kafka broker of a test's own (infra/kafka/kafka.sh with its own home and ports), for tests
 * that stop and start Kafka: the shared broker on 9092 serves every other test and never stops.
 */
export interface PrivateBroker {
  brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * SIGKILLs the broker process (a crash, not a clean stop: no controlled shutdown, no flush of
   * its log segments beyond what the OS already holds) and waits until it is gone.
   */
  kill(): Promise<void>;
  /** Stops the broker and deletes its data, logs and pid file. */
  remove(): Promise<void>;
}

export async function createPrivateBroker(): Promise<PrivateBroker> {
  const root = workspaceRoot();
  const home = await mkdtemp(join(tmpdir(), 'tollgate-kafka-'));
  // The shared broker's resolved jar classpath (jars in the Maven cache) saves a Maven run.
  const sharedClasspath = join(root, '.local/kafka/classpath.txt');
  if (existsSync(sharedClasspath)) await copyFile(sharedClasspath, join(home, 'classpath.txt'));
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const env = {
    ...process.env,
    TOLLGATE_KAFKA_HOME: home,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_HEAP_OPTS: '-Xms128m -Xmx384m',
  };
  const kafkaSh = async (command: 'start' | 'stop') => {
    await run('bash', [join(root, 'infra/kafka/kafka.sh'), command], {
      cwd: root,
      env,
      timeout: 120_000,
    });
  };
  return {
    brokers: [`127.0.0.1:${port}`],
    start: () => kafkaSh('start'),
    stop: () => kafkaSh('stop'),
    async kill() {
      const pid = Number((await readFile(join(home, 'kafka.pid'), 'utf8')).trim());
      process.kill(pid, 'SIGKILL');
      const alive = () => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      await eventually(
        async () => !alive() && !(await isPortOpen('127.0.0.1', port)),
        30_000,
        `the killed broker (pid ${pid}) to be gone`,
      );
    },
    async remove() {
      try {
        await kafkaSh('stop');
      } finally {
        await rm(home, { recursive: true, force: true });
      }
    },
  };
}
