import { ProblemError } from '@tollgate/service-runtime';

/** Where billable usage comes from: usage-ingestor's ledger of metered requests. */
export interface UsageSource {
  /** Live, allowed requests' cost units of the account in [from, to) (minute boundaries, epoch ms). */
  billableUnits(accountId: string, from: number, to: number): Promise<number>;
  /** occurredAt of the newest event usage-ingestor has aggregated (any account); null before the first. */
  newestEventAt(): Promise<number | null>;
}

const isoMinute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

/**
 * usage-ingestor over HTTP with billing-service's service credential. An unreachable or failing
 * ingestor is 503 `dependency_unavailable` to billing's callers, and a period is not closed.
 */
export class UsageIngestorClient implements UsageSource {
  constructor(
    private readonly options: {
      baseUrl: string;
      serviceToken: string | undefined;
      timeoutMs: number;
    },
  ) {}

  async billableUnits(accountId: string, from: number, to: number): Promise<number> {
    const query = new URLSearchParams({ from: isoMinute(from), to: isoMinute(to) });
    const body = await this.get<{ billableUnits: number }>(
      `/v1/usage/accounts/${encodeURIComponent(accountId)}/range-totals?${query.toString()}`,
    );
    if (!Number.isSafeInteger(body.billableUnits) || body.billableUnits < 0)
      throw new ProblemError('dependency_unavailable', 'usage-ingestor answered an invalid total');
    return body.billableUnits;
  }

  async newestEventAt(): Promise<number | null> {
    const body = await this.get<{ newestEventAt: string | null }>('/v1/usage/freshness');
    return body.newestEventAt === null ? null : Date.parse(body.newestEventAt);
  }

  private async get<T>(path: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.options.serviceToken) headers.authorization = `Bearer ${this.options.serviceToken}`;
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.baseUrl), {
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw new ProblemError('dependency_unavailable', 'usage-ingestor is not reachable');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProblemError('dependency_unavailable', `usage-ingestor answered ${res.status}`);
    }
    return (await res.json()) as T;
  }
}
