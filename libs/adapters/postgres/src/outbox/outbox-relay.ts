import type { TollgateEvent } from '@tollgate/events';
import type { Database } from '../sql';
import type { PinnedSession } from '../pinned-session';
import { readOutbox, readRelayPosition, saveRelayPosition } from './outbox';

export interface RelayLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  /** Names the relay's Postgres session (`pg_stat_activity.application_name`), e.g. `key-service-outbox-relay`. */
  applicationName: string;
  /** Where the relay opens its pinned session (the lock lives and dies with that session). */
  db: Pick<Database, 'pinnedSession' | 'schema'>;
  /** Publishes the events in order and resolves once Kafka acknowledged all of them. */
  publish(events: TollgateEvent[]): Promise<void>;
  log: RelayLog;
  pollIntervalMs?: number;
  batchSize?: number;
  /** How often a follower tries to become the relay. */
  leaderRetryMs?: number;
  onPublished?(count: number): void;
  onLeadership?(leader: boolean): void;
}

/**
 * Same name in every replica of one deployment (its schema): whoever holds this session lock is
 * the one relay. Advisory locks are database-wide, so the schema keeps deployments sharing a
 * database (and parallel test runs) from taking each other's turn.
 */
const relayLockOf = (schema: string) => `tollgate.${schema}.outbox-relay`;

/**
 * Moves committed outbox rows to Kafka in commit order. Only one replica relays at a time: the
 * relay holds a Postgres session advisory lock, which the server releases the moment its
 * connection dies, so another replica takes over. Progress is saved after Kafka acknowledged a
 * batch: a crash in between re-publishes that batch with the same eventIds (at-least-once).
 */
export class OutboxRelay {
  private session: PinnedSession | undefined;
  private leader = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private attempts = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** Times this relay has tried to take the relay lock (one per `leaderRetryMs` as a follower). */
  get lockAttempts(): number {
    return this.attempts;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in progress, releases leadership and disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.disconnect();
  }

  private async run(): Promise<void> {
    const poll = this.options.pollIntervalMs ?? 50;
    while (this.running) {
      try {
        if (!(await this.ensureLeader())) {
          await this.sleep(this.options.leaderRetryMs ?? 1_000);
          continue;
        }
        const published = await this.relayOnce();
        if (published === 0) await this.sleep(poll);
      } catch (err) {
        this.options.log.error({ err }, 'outbox relay failed; retrying');
        await this.disconnect();
        await this.sleep(1_000);
      }
    }
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.leader && this.session) return true;
    this.session ??= await this.options.db.pinnedSession({
      applicationName: this.options.applicationName,
      onLost: (err) => {
        this.options.log.warn({ err }, 'outbox relay connection lost');
        void this.disconnect();
      },
    });
    this.attempts++;
    this.setLeader(await this.session.tryAdvisoryLock(relayLockOf(this.options.db.schema)));
    return this.leader;
  }

  private async relayOnce(): Promise<number> {
    const sql = this.session!.sql;
    const position = await readRelayPosition(sql);
    const rows = await readOutbox(sql, position, this.options.batchSize ?? 500);
    if (rows.length === 0) return 0;
    await this.options.publish(rows.map((r) => r.event));
    const last = rows.at(-1)!;
    await saveRelayPosition(sql, { txId: last.txId, position: last.position });
    this.options.onPublished?.(rows.length);
    return rows.length;
  }

  private setLeader(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.options.log.info(
      { leader },
      leader ? 'became the outbox relay' : 'no longer the outbox relay',
    );
    this.options.onLeadership?.(leader);
  }

  private async disconnect(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    this.setLeader(false);
    await session?.close();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
