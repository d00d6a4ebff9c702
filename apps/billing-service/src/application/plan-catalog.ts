import { z } from 'zod';
import { ProblemError } from '@tollgate/service-runtime';
import type { PlanPrice } from '../domain/subscription-timeline';

/** Where billing finds a plan version's price it has not seen in a PlanChanged. */
export interface PlanCatalog {
  /** The plan version's price; undefined when the plan or the version does not exist. */
  planVersion(planId: string, version: number): Promise<PlanPrice | undefined>;
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** The part of key-service's `GET /v1/plans/:planId` answer billing reads. */
const KeyServicePlan = z.object({
  versions: z.array(
    z.object({
      version: z.number().int().min(1),
      definition: z.object({
        name: z.string(),
        price: z.object({
          currency: z.string().regex(/^[A-Z]{3}$/),
          baseFeeMinor: count,
          includedUnits: count,
          overageTiers: z.array(z.object({ upTo: count.nullable(), unitPriceMicros: count })),
        }),
      }),
    }),
  ),
});

/**
 * key-service's plan catalog over HTTP with billing-service's service credential (key-service
 * allows billing `GET /v1/plans/:planId`). Plan versions are immutable, so a version found is kept
 * (up to `maxCached`). An unreachable key-service, or an answer billing cannot read, is 503
 * `dependency_unavailable`: billing never guesses a price.
 */
export class KeyServicePlanCatalog implements PlanCatalog {
  private readonly cache = new Map<string, PlanPrice>();

  constructor(
    private readonly options: {
      baseUrl: string;
      serviceToken: string | undefined;
      timeoutMs: number;
      maxCached?: number;
    },
  ) {}

  async planVersion(planId: string, version: number): Promise<PlanPrice | undefined> {
    const key = `${planId}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const plan = await this.fetchPlan(planId);
    const found = plan?.versions.find((v) => v.version === version);
    if (!found) return undefined;
    const { name, price } = found.definition;
    const priced: PlanPrice = {
      planId,
      planVersion: version,
      name,
      currency: price.currency,
      baseFeeMinor: price.baseFeeMinor,
      includedUnits: price.includedUnits,
      tiers: price.overageTiers.map((t) => ({
        upToUnits: t.upTo,
        unitPriceMicros: t.unitPriceMicros,
      })),
    };
    if (this.cache.size >= (this.options.maxCached ?? 1_000)) this.cache.clear();
    this.cache.set(key, priced);
    return priced;
  }

  private async fetchPlan(planId: string): Promise<z.infer<typeof KeyServicePlan> | undefined> {
    const headers: Record<string, string> = {};
    if (this.options.serviceToken) headers.authorization = `Bearer ${this.options.serviceToken}`;
    let res: Response;
    try {
      res = await fetch(new URL(`/v1/plans/${encodeURIComponent(planId)}`, this.options.baseUrl), {
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw new ProblemError('dependency_unavailable', 'key-service is not reachable');
    }
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ProblemError('dependency_unavailable', `key-service answered ${res.status}`);
    }
    const parsed = KeyServicePlan.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success)
      throw new ProblemError(
        'dependency_unavailable',
        'key-service answered a plan billing cannot read',
      );
    return parsed.data;
  }
}
