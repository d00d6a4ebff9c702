/** What key-service answered a suspension or reactivation. */
export type AccountCallOutcome =
  | 'done'
  /** 409: the account is already in that state (suspended, or active). */
  | 'already'
  | 'not_found';

export class KeyServiceUnavailableError extends Error {}

/**
 * billing-service's calls to key-service's account routes, with its service credential. Each call
 * carries an Idempotency-Key, so a retry after a lost answer is answered, not re-applied.
 */
export class KeyServiceAccounts {
  constructor(
    private readonly options: {
      baseUrl: string;
      serviceToken: string | undefined;
      timeoutMs: number;
    },
  ) {}

  suspend(accountId: string, reason: string, idempotencyKey: string): Promise<AccountCallOutcome> {
    return this.call(
      `/v1/accounts/${encodeURIComponent(accountId)}/suspend`,
      { reason },
      idempotencyKey,
    );
  }

  reactivate(accountId: string, idempotencyKey: string): Promise<AccountCallOutcome> {
    return this.call(
      `/v1/accounts/${encodeURIComponent(accountId)}/reactivate`,
      undefined,
      idempotencyKey,
    );
  }

  private async call(
    path: string,
    body: object | undefined,
    idempotencyKey: string,
  ): Promise<AccountCallOutcome> {
    const headers: Record<string, string> = { 'idempotency-key': idempotencyKey };
    if (this.options.serviceToken) headers.authorization = `Bearer ${this.options.serviceToken}`;
    if (body) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.baseUrl), {
        method: 'POST',
        headers,
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new KeyServiceUnavailableError(
        `key-service is not reachable: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const text = await res.text();
    if (res.ok) return 'done';
    if (res.status === 409) return 'already';
    if (res.status === 404) return 'not_found';
    throw new KeyServiceUnavailableError(
      `key-service answered ${res.status}: ${text.slice(0, 300)}`,
    );
  }
}
