import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_TYPE_HEADER, newEventId, newId } from '@tollgate/events';
import { sampleEvent } from '@tollgate/events/testing';
import {
  buildServiceArtifact,
  startServiceProcess,
  type ServiceProcess,
  eventually,
} from '@tollgate/test-infra';
import {
  batchesOf,
  expectedTotals,
  makeEvents,
  usageTestKit,
  type IngestorUnderTest,
} from '../testing/usage-test-kit';

describe('usage ingestion (real Kafka + Postgres)', () => {
  describe('one ingestor', () => {
    // The ingestor's clock is fixed (mid-June 2026): which month counts as closed never depends on
    // the day the test runs.
    const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);
    const recent = { start: NOW - 5 * 60_000 };
    let kit: IngestorUnderTest;
    let app: FastifyInstance;
    beforeAll(async () => {
      kit = await usageTestKit('usage_truth');
      app = await kit.startApp({ now: () => NOW });
    });
    afterAll(async () => {
      await kit?.close();
    });

    it('counts every event exactly once, through duplicates and out-of-order timestamps', async () => {
      const events = makeEvents(5_000, recent);
      // 500 copies re-sent at later offsets, as an edge-auth spool replay would.
      const resent = events.slice(1_000, 1_500);
      await kit.produce(events);
      await kit.produce(resent);
      const expected = expectedTotals(events);
      const totals = await kit.waitForRequests(expected.requests);
      await kit.waitForCaughtUp();
      expect(await kit.totals()).toEqual(expected);
      expect(totals.requests).toBe(5_000);
    });

    it('counts a batch record replayed from the spool twice once, beside single records', async () => {
      const before = await kit.totals();
      const events = makeEvents(3_000, recent);
      const batches = batchesOf(events.slice(0, 2_000), 250);
      await kit.produceBatches(batches);
      await kit.produce(events.slice(2_000));
      // A spool replay resends whole batches byte for byte (same batch id, same eventIds), twice.
      await kit.produceBatches(batches.slice(2, 4));
      await kit.produceBatches(batches.slice(2, 4));
      // And single records re-sent alone, as an older edge's spool replays them.
      await kit.produce(events.slice(2_500, 2_600));
      const expected = expectedTotals(events);
      await kit.waitForRequests(before.requests + expected.requests);
      await kit.waitForCaughtUp();
      const after = await kit.totals();
      expect(after.requests - before.requests).toBe(3_000);
      expect(after.costUnits - before.costUnits).toBe(expected.costUnits);
    });

    it('counts a late event in its real minute and flags it for billing; dead-letters poison', async () => {
      const before = await kit.totals();
      const late = sampleEvent('RequestMetered', {
        eventId: newEventId(),
        // The last minute of May, ingested in June: May has closed.
        occurredAt: Date.UTC(2026, 4, 31, 23, 59, 30),
        accountId: newId('account'),
      });
      await kit.produceRaw(Buffer.from('garbage'), { [EVENT_TYPE_HEADER]: 'RequestMetered' });
      await kit.produce([late]);
      await kit.waitForRequests(before.requests + 1);
      const res = await app.inject(`/v1/usage/accounts/${late.accountId}/totals?period=2026-05`);
      expect(res.json()).toMatchObject({
        billableUnits: 1,
        lateArrivals: { requests: 1, costUnits: 1 },
      });
      const deadLettered =
        /kafka_consumer_dead_letters_total\{[^}]*reason="missing_headers"[^}]*\} 1/;
      await eventually(
        async () => deadLettered.test((await app.inject('/metrics')).body),
        10_000,
        'the poison record to be dead-lettered',
      );
    });
  });

  it('forgets event ids once they are older than the dedupe window, by the ingestor clock', async () => {
    const kit = await usageTestKit('usage_prune', {
      DEDUPE_WINDOW_HOURS: '1',
      DEDUPE_PRUNE_INTERVAL_MS: '200',
    });
    try {
      let clock = Date.UTC(2026, 5, 15, 12, 0, 0);
      await kit.startApp({ now: () => clock });
      const events = makeEvents(200, { start: clock - 60_000 });
      await kit.produce(events.slice(0, 100));
      await kit.produceBatches(batchesOf(events.slice(100), 50));
      await kit.waitForRequests(200);
      // 100 single records and 2 batch records: 102 ids remembered.
      expect(await kit.seenIds()).toBe(102);
      // Within the window nothing goes; past it, all of them.
      clock += 59 * 60_000;
      await kit.produce(makeEvents(1, { start: clock }));
      await kit.waitForRequests(201);
      expect(await kit.seenIds()).toBe(103);
      clock += 2 * 60_000;
      await eventually(async () => (await kit.seenIds()) === 1, 10_000, 'the window to be pruned');
    } finally {
      await kit.close();
    }
  });

  it('stays exact when the ingestor process is SIGKILLed 5 times during 100k events in single and batch records', async () => {
    const kit = await usageTestKit('usage_kill');
    const artifact = await buildServiceArtifact('apps/usage-ingestor');
    let running: ServiceProcess | undefined;
    try {
      const events = makeEvents(100_000);
      // Six parts: one before each of the five members, the last one after the last kill, so
      // every kill happens while part of the stream is still to come.
      const part = Math.ceil(events.length / 6);
      const parts = Array.from({ length: 6 }, (_, i) => events.slice(i * part, (i + 1) * part));
      const resentBatches: ReturnType<typeof batchesOf> = [];
      /** Half of a part as single records, half as batch records of 500 events, as edges of two versions would write. */
      const produceMixed = async (events: (typeof parts)[number]) => {
        const half = Math.floor(events.length / 2);
        const batches = batchesOf(events.slice(half), 500);
        resentBatches.push(batches[0]!);
        await Promise.all([kit.produce(events.slice(0, half)), kit.produceBatches(batches)]);
      };
      /** Requests counted when each kill landed: every kill must hit a member that is ingesting. */
      const countedAtKill: number[] = [];
      const counted = () =>
        kit.totals().then(
          (t) => t.requests,
          // Only before the first member created the schema: nothing is counted yet.
          (err: Error) => {
            if (/does not exist/.test(err.message)) return 0;
            throw err;
          },
        );
      while (countedAtKill.length < 5) {
        running = await startServiceProcess(
          artifact.entry,
          { ...kit.env, LOG_LEVEL: 'info' },
          30_000,
        );
        // After the start: the first member provisions the topic.
        await running.ready(60_000);
        await produceMixed(parts[countedAtKill.length]!);
        // Kill only once this member owns partitions and has counted something itself.
        const before = countedAtKill.at(-1) ?? 0;
        let now = before;
        await eventually(
          async () => (now = await counted()) > before,
          60_000,
          'the restarted member to ingest',
        );
        running.child.kill('SIGKILL');
        await new Promise((r) => running!.child.once('exit', r));
        countedAtKill.push(now);
      }
      await produceMixed(parts[5]!);
      // Re-sent copies, as spool replays would: single records, and batch records whole.
      await kit.produce(events.slice(0, 2_000));
      await kit.produceBatches(resentBatches);
      // Every kill landed mid-stream: counts strictly between 0 and the total, and growing.
      const total = expectedTotals(events).requests;
      for (const [i, n] of countedAtKill.entries()) {
        expect(n, String(countedAtKill)).toBeGreaterThan(i === 0 ? 0 : countedAtKill[i - 1]!);
        expect(n, String(countedAtKill)).toBeLessThan(total);
      }
      running = await startServiceProcess(
        artifact.entry,
        { ...kit.env, LOG_LEVEL: 'info' },
        30_000,
      );
      const expected = expectedTotals(events);
      await kit.waitForRequests(expected.requests, 120_000);
      await kit.waitForCaughtUp(60_000);
      expect(await kit.totals()).toEqual(expected);
      expect(await running.stop('SIGTERM')).toBe(0);
      running = undefined;
    } finally {
      running?.child.kill('SIGKILL');
      await artifact.remove();
      await kit.close();
    }
  }, 240_000);

  it('stays exact when a second ingestor joins and the first leaves mid-stream (rebalances)', async () => {
    const kit = await usageTestKit('usage_rebalance');
    try {
      const events = makeEvents(30_000);
      const first = await kit.startApp();
      await kit.produce(events.slice(0, 10_000));
      const second = await kit.startApp();
      await kit.produce(events.slice(10_000, 20_000));
      await first.close();
      await kit.produce(events.slice(20_000));
      void second;
      const expected = expectedTotals(events);
      await kit.waitForRequests(expected.requests, 60_000);
      await kit.waitForCaughtUp();
      expect(await kit.totals()).toEqual(expected);
    } finally {
      await kit.close();
    }
  }, 120_000);
});
