import { createHmac, randomBytes } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { Database } from '@tollgate/postgres';
import { ProblemError } from '@tollgate/service-runtime';
import type { Logger } from 'pino';
import { accountWebhooks, type DueDelivery } from '../persistence/account-webhooks';
import { findAccount } from '../persistence/read-model';

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export const SIGNATURE_HEADER = 'tollgate-signature';

export function signNotification(secret: string, timestampS: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

export interface WebhookSettings {
  /**
   * Development and tests: http:// URLs and private addresses too. Production: https only, and
   * never a loopback, private, link-local or otherwise internal address (checked on the address
   * actually connected to, so DNS cannot swap it after the check).
   */
  allowHttp: boolean;
  pollMs: number;
  timeoutMs: number;
  /** Attempts before a delivery is given up; waits double from `retryBaseMs`, capped at 6 h. */
  maxAttempts: number;
  retryBaseMs: number;
}

const MAX_RETRY_MS = 6 * 3_600_000;

/** Addresses a notification may never reach in production: the deployment's own networks. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return INTERNAL.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A DNS lookup that fails when the name resolves to an internal address. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const blocked = addresses.find((a) => isInternalAddress(a.address));
    if (blocked || addresses.length === 0)
      return callback(
        Object.assign(new Error(`${hostname} resolves to an internal address`), {
          code: 'EINTERNALADDRESS',
        }),
        '',
        0,
      );
    if (options.all)
      return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses as [LookupAddress];
    callback(null, first.address, first.family);
  });
};

/**
 * One POST: no redirects followed, the answer's body never read, bounded in time; with
 * `publicOnly`, connected only to a public address.
 */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: { timeoutMs: number; publicOnly: boolean; signal: AbortSignal },
): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    if (options.publicOnly && isIP(target.hostname.replace(/^\[|\]$/g, '')) !== 0) {
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      if (isInternalAddress(literal)) return reject(new Error(`${literal} is an internal address`));
    }
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: options.timeoutMs,
        signal: options.signal,
        ...(options.publicOnly ? { lookup: publicOnlyLookup } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
const BATCH = 20;

/** Where an account's notifications may go: absolute http(s) without credentials or fragment. */
function checkedUrl(text: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProblemError('validation_failed', 'url is not an absolute URL', { field: 'url' });
  }
  const schemes = allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    throw new ProblemError('validation_failed', `url must use ${schemes.join(' or ')}`, {
      field: 'url',
    });
  if (url.username || url.password || url.hash)
    throw new ProblemError('validation_failed', 'url may not carry credentials or a fragment', {
      field: 'url',
    });
  return url.toString();
}

/**
 * Notifications to an account's own webhook (today: a leaked key was revoked). The signing secret
 * is shown once, when the webhook is set; each delivery is signed with it (`tollgate-signature`)
 * and carries its id (`tollgate-delivery-id`) so a receiver can drop repeats. Deliveries are
 * queued in the transaction that caused them and sent by `WebhookDeliverer`.
 */
export function accountWebhookCommands(deps: {
  db: Database;
  now: () => number;
  settings: WebhookSettings;
}) {
  const { db, now, settings } = deps;
  const requireAccount = async (accountId: string) => {
    if (!(await findAccount(db.sql, accountId)))
      throw new ProblemError('not_found', `account ${accountId} does not exist`);
  };
  const view = (row: { url: string; created_at: Date }) => ({
    url: row.url,
    createdAt: new Date(row.created_at).toISOString(),
  });
  return {
    async setWebhook(accountId: string, url: string) {
      await requireAccount(accountId);
      const row = {
        account_id: accountId,
        url: checkedUrl(url, settings.allowHttp),
        signing_secret: `whsec_${randomBytes(24).toString('base64url')}`,
        created_at: new Date(now()),
      };
      await accountWebhooks.put(db.sql, row);
      return { ...view(row), signingSecret: row.signing_secret };
    },
    async getWebhook(accountId: string) {
      await requireAccount(accountId);
      const row = await accountWebhooks.find(db.sql, accountId);
      if (!row) throw new ProblemError('not_found', `account ${accountId} has no webhook`);
      const deliveries = await accountWebhooks.deliveriesOf(db.sql, accountId);
      return {
        ...view(row),
        recentDeliveries: deliveries.slice(-20).map((d) => ({
          deliveryId: d.delivery_id,
          eventType: d.event_type,
          attempts: d.attempts,
          status: d.delivered_at ? 'delivered' : d.failed_at ? 'failed' : 'pending',
          lastError: d.last_error,
        })),
      };
    },
    async removeWebhook(accountId: string) {
      await requireAccount(accountId);
      if (!(await accountWebhooks.remove(db.sql, accountId)))
        throw new ProblemError('not_found', `account ${accountId} has no webhook`);
    },
  };
}

/** Sends due notifications: one POST each, retried with doubling waits, never two at once. */
export class WebhookDeliverer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Aborts the attempt in flight at shutdown (it stays due and is retried after its lease). */
  private shutdown = new AbortController();

  constructor(
    private readonly deps: {
      db: Database;
      now: () => number;
      settings: WebhookSettings;
      log: Pick<Logger, 'info' | 'warn'>;
    },
  ) {}

  start(): void {
    this.stopped = false;
    this.shutdown = new AbortController();
    const tick = () => {
      if (this.stopped) return;
      this.running = this.deliverDue()
        .then(() => undefined)
        .catch((err: unknown) => this.deps.log.warn({ err }, 'webhook deliveries failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.deps.settings.pollMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.shutdown.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  /** Sends what is due now; returns how many deliveries were attempted. */
  async deliverDue(): Promise<number> {
    const { db, now, settings } = this.deps;
    const due = await accountWebhooks.claimDue(
      db.sql,
      new Date(now()),
      settings.timeoutMs * 2,
      BATCH,
    );
    for (const delivery of due) {
      if (this.stopped) break;
      await this.attempt(delivery);
    }
    return due.length;
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const { db, now, settings, log } = this.deps;
    const attempts = delivery.attempts + 1;
    let error: string | undefined;
    if (delivery.url === null || delivery.signing_secret === null) {
      error = 'the account no longer has a webhook';
    } else {
      const body = JSON.stringify({
        deliveryId: delivery.delivery_id,
        type: delivery.event_type,
        data: delivery.payload,
      });
      try {
        const status = await post(
          delivery.url,
          {
            'content-type': 'application/json',
            'user-agent': 'tollgate-webhooks',
            'tollgate-delivery-id': delivery.delivery_id,
            [SIGNATURE_HEADER]: signNotification(
              delivery.signing_secret,
              Math.floor(now() / 1000),
              body,
            ),
          },
          body,
          {
            timeoutMs: settings.timeoutMs,
            publicOnly: !settings.allowHttp,
            signal: this.shutdown.signal,
          },
        );
        if (status < 200 || status >= 300) error = `answered ${status}`;
      } catch (err) {
        error = err instanceof Error ? err.message : String(err);
      }
    }
    // Shutting down: not the receiver's fault; the lease runs out and the delivery is due again.
    if (this.stopped) return;
    const at = new Date(now());
    if (error === undefined) {
      await accountWebhooks.delivered(db.sql, delivery.delivery_id, at, attempts);
      log.info(
        { deliveryId: delivery.delivery_id, accountId: delivery.account_id, attempts },
        'webhook notification delivered',
      );
      return;
    }
    const last = attempts >= settings.maxAttempts || delivery.url === null;
    const wait = Math.min(settings.retryBaseMs * 2 ** (attempts - 1), MAX_RETRY_MS);
    await accountWebhooks.attemptFailed(db.sql, delivery.delivery_id, {
      attempts,
      error,
      nextAttemptAt: last ? null : new Date(at.getTime() + wait),
      at,
    });
    log.warn(
      { deliveryId: delivery.delivery_id, accountId: delivery.account_id, attempts, error },
      last ? 'webhook notification given up' : 'webhook notification failed; will retry',
    );
  }
}
