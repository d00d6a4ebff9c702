import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  captureLogs,
  createPrivateBroker,
  eventually,
  type PrivateBroker,
} from '@tollgate/test-infra';
import { SERVICE } from '../app';
import {
  expectedTotals,
  makeEvents,
  usageTestKit,
  type IngestorUnderTest,
} from '../testing/usage-test-kit';

/** How long the broker stays dead: the security review saw 380 error lines from a 14 s outage. */
const OUTAGE_MS = 10_000;

describe('usage-ingestor through a Kafka crash (private broker, real Postgres)', () => {
  let broker: PrivateBroker;
  let kit: IngestorUnderTest;
  const { logger, lines } = captureLogs(SERVICE, 'info');

  beforeAll(async () => {
    broker = await createPrivateBroker();
    await broker.start();
    kit = await usageTestKit('usage_outage', { KAFKA_BROKERS: broker.brokers.join(',') });
  }, 180_000);
  afterAll(async () => {
    await kit?.close();
    await broker?.remove();
  });

  it('logs the outage once, says so in its metrics, and counts every event exactly once afterwards', async () => {
    const app = await kit.startApp({ logger });
    const before = makeEvents(5_000);
    await kit.produce(before);
    await kit.waitForRequests(5_000);

    const fromLine = lines.length;
    await broker.kill();
    await eventually(
      async () => /^kafka_client_up\{[^}]*\} 0$/m.test((await app.inject('/metrics')).body),
      30_000,
      'the ingestor to see the broker gone',
    );
    // The outage itself (not a wait for a condition): the clients retry all along.
    await sleep(OUTAGE_MS);
    const duringOutage = lines
      .slice(fromLine)
      .map((line) => JSON.parse(line) as { level: number; component?: string; msg: string });
    await broker.start();

    const after = makeEvents(5_000);
    await kit.produce(after);
    await kit.waitForRequests(10_000, 120_000);
    await kit.waitForCaughtUp(60_000);
    expect(await kit.totals()).toEqual(expectedTotals([...before, ...after]));
    await eventually(
      async () => /^kafka_client_up\{[^}]*\} 1$/m.test((await app.inject('/metrics')).body),
      30_000,
      'the ingestor to see the broker back',
    );

    // One error line for the outage, not one per retry; a handful of warnings at most.
    const errors = duringOutage.filter((l) => l.level >= 50);
    expect(errors.length, JSON.stringify(errors)).toBeLessThanOrEqual(1);
    for (const line of errors) expect(line.msg).toMatch(/^Kafka unavailable: /);
    const warnings = duringOutage.filter((l) => l.level >= 40);
    expect(warnings.length, JSON.stringify(warnings)).toBeLessThanOrEqual(5);
    console.info(
      `usage-ingestor kafka outage (${OUTAGE_MS / 1000} s, broker SIGKILLed): ${errors.length} error and ${warnings.length} warn+ lines`,
    );
  }, 240_000);
});
