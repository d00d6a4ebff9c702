/**
 * What can go wrong between Stripe and us, injected per request:
 * - `error`: the API answers 500 `api_error` before doing anything (nothing written, nothing
 *   remembered under the idempotency key — a failure in front of the API);
 * - `hang`: the request is held unanswered until the client gives up (nothing written);
 * - `drop`: the write is applied and remembered under its idempotency key, then the connection
 *   is cut before the response goes out (the caller cannot tell whether it happened);
 * - `run_error`, `run_error_applied`: the endpoint ran and failed with a 500 that Stripe keeps
 *   under the idempotency key like any result ("retries return the saved response, including 500
 *   errors"), so every retry under that key gets the same 500 until the key expires (24 h) —
 *   with nothing written, or after the write was applied.
 */
export type FaultKind = 'error' | 'hang' | 'drop' | 'run_error' | 'run_error_applied';

/** Which requests a fault applies to; unset fields match everything. */
export interface FaultMatch {
  method?: 'GET' | 'POST';
  /** A path prefix (`/v1/invoiceitems`) or a pattern. */
  path?: string | RegExp;
}

interface PendingFault {
  kind: FaultKind;
  remaining: number;
  match: FaultMatch;
}

export class FaultPlan {
  private readonly pending: PendingFault[] = [];
  readonly injected: Record<FaultKind, number> = {
    error: 0,
    hang: 0,
    drop: 0,
    run_error: 0,
    run_error_applied: 0,
  };

  add(kind: FaultKind, times: number, match: FaultMatch = {}): void {
    if (!Number.isInteger(times) || times < 1) throw new Error('times must be a positive integer');
    this.pending.push({ kind, remaining: times, match });
  }

  /** The fault for this request, if one is planned (each planned fault is used up once). */
  take(method: string, path: string): FaultKind | undefined {
    const fault = this.pending.find((f) => matches(f.match, method, path));
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.pending.splice(this.pending.indexOf(fault), 1);
    this.injected[fault.kind]++;
    return fault.kind;
  }

  /** Planned faults not used yet. */
  get outstanding(): number {
    return this.pending.reduce((sum, f) => sum + f.remaining, 0);
  }

  clear(): void {
    this.pending.length = 0;
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method && match.method !== method) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? path.startsWith(match.path) : match.path.test(path);
}
