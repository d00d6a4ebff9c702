import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isPortOpen } from './endpoints';
import { eventually } from './eventually';
import { freePorts } from './free-ports';
import { workspaceRoot } from './workspace-root';

const run = promisify(execFile);

/** A Kafka broker that accepts clients only over SASL/PLAIN, with one user for the apps. */
export interface SaslBroker {
  brokers: string[];
  username: string;
  password: string;
  /** A super user (the broker's own), for managing ACLs when started with `acls`. */
  superUser: { username: string; password: string };
  /** Stops the broker and deletes its data. */
  remove(): Promise<void>;
}

/**
 * The official Kafka jars (the shared broker's resolved classpath, `infra/kafka/kafka.sh`) run as a
 * single KRaft node whose client listener is SASL_PLAINTEXT with the PLAIN mechanism: the shape of
 * a production listener with passwords, without the TLS certificates a test would have to mint.
 */
export async function startSaslBroker(
  options: {
    /**
     * Authorize requests with ACLs (KRaft's StandardAuthorizer): everything is allowed until a
     * test adds an ACL for a resource, e.g. a DENY that makes the broker refuse a consumer group.
     */
    acls?: boolean;
  } = {},
): Promise<SaslBroker> {
  const root = workspaceRoot();
  // The shared broker's resolved jars; resolved here (Maven, cached) when the shared broker was
  // started by another checkout.
  const { stdout } = await run('bash', [join(root, 'infra/kafka/kafka.sh'), 'classpath'], {
    cwd: root,
    timeout: 300_000,
  });
  const classpath = readFileSync(stdout.trim().split('\n').at(-1)!, 'utf8').trim();
  const home = await mkdtemp(join(tmpdir(), 'tollgate-kafka-sasl-'));
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const username = 'tollgate';
  const password = 'tollgate-sasl-test-secret';
  const properties = join(home, 'server.properties');
  await writeFile(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=SASL_PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=SASL_PLAINTEXT://127.0.0.1:${port}`,
      'listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=SASL_PLAINTEXT',
      'sasl.enabled.mechanisms=PLAIN',
      'sasl.mechanism.inter.broker.protocol=PLAIN',
      'listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required ' +
        `username="broker" password="broker-secret" user_broker="broker-secret" user_${username}="${password}";`,
      'auto.create.topics.enable=false',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      ...(options.acls
        ? [
            'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
            // The broker itself, and the controller listener's (plaintext, loopback) principal.
            'super.users=User:broker;User:ANONYMOUS',
            'allow.everyone.if.no.acl.found=true',
          ]
        : []),
      `log.dirs=${join(home, 'data')}`,
      '',
    ].join('\n'),
  );
  const java = (args: string[]) =>
    run('java', ['-cp', classpath, ...args], { cwd: root, timeout: 60_000 });
  const { stdout: clusterId } = await java(['kafka.tools.StorageTool', 'random-uuid']);
  await java([
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId.trim().split('\n').at(-1) ?? '',
    '-c',
    properties,
  ]);
  const broker = spawn(
    'java',
    [
      '-Xms128m',
      '-Xmx384m',
      '-cp',
      classpath,
      `-Dlog4j2.configurationFile=${join(root, 'infra/kafka/log4j2.properties')}`,
      `-Dkafka.logs.dir=${home}`,
      'kafka.Kafka',
      properties,
    ],
    { cwd: root, stdio: 'ignore' },
  );
  const running = () => broker.exitCode === null && broker.signalCode === null;
  const started = () => {
    const log = join(home, 'server.log');
    return existsSync(log) && readFileSync(log, 'utf8').includes('Kafka Server started');
  };
  try {
    await eventually(
      async () => running() && started() && (await isPortOpen('127.0.0.1', port)),
      90_000,
      `the SASL broker on 127.0.0.1:${port} (logs in ${home})`,
    );
  } catch (err) {
    broker.kill('SIGKILL');
    throw err;
  }
  return {
    brokers: [`127.0.0.1:${port}`],
    username,
    password,
    superUser: { username: 'broker', password: 'broker-secret' },
    async remove() {
      if (running()) {
        broker.kill('SIGTERM');
        await eventually(() => !running(), 30_000, 'the SASL broker to stop').catch(() =>
          broker.kill('SIGKILL'),
        );
      }
      await rm(home, { recursive: true, force: true });
    },
  };
}
