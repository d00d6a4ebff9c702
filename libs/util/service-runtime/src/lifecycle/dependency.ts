/**
 * An infrastructure client an app depends on (Postgres pool, Redis, Kafka). The HTTP server asks
 * each one for readiness on `/readyz` and closes them, in reverse order, when the app closes.
 */
export interface Dependency {
  readonly name: string;
  /** Resolves when the dependency answers; rejects with a short reason otherwise. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadinessResult {
  ready: boolean;
  /** Per dependency: `ok`, or why it is not ready. */
  checks: Record<string, string>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(
  dependencies: readonly Dependency[],
  timeoutMs: number,
): Promise<ReadinessResult> {
  const results = await Promise.allSettled(
    dependencies.map((d) => withTimeout(d.checkReady(), timeoutMs, d.name)),
  );
  const checks: ReadinessResult['checks'] = {};
  dependencies.forEach(({ name }, i) => {
    const result = results[i] as PromiseSettledResult<void>;
    checks[name] =
      result.status === 'fulfilled'
        ? 'ok'
        : result.reason instanceof Error
          ? result.reason.message
          : String(result.reason);
  });
  return { ready: results.every((r) => r.status === 'fulfilled'), checks };
}
