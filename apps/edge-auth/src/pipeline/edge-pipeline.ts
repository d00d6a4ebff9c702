import { performance } from 'node:perf_hooks';
import { newEventId, type Outcome, type RequestMetered } from '@tollgate/events';
import { ERROR_STATUS, type ErrorCode } from '@tollgate/service-runtime';
import type { Counter } from 'prom-client';
import type { KeyEntry, PlanEntry } from '../key-table/key-table';
import type { UsageMeter } from '../metering';
import {
  rateLimitHeaders,
  type CompiledLimits,
  type LimitDecision,
  type LimitRequest,
  type RateLimiter,
} from '../rate-limit';
import { UNMATCHED_ENDPOINT, type Endpoint, type EndpointMap } from '../routing/endpoint-map';
import { normaliseRequestTarget, type RequestTarget } from '../routing/request-target';
import type { KeyVerifier, Verdict } from '../verification/key-verifier';
import {
  queryCarriesKey,
  presentedKey,
  type KeyHeader,
  type PresentedKey,
} from '../verification/presented-key';

/** The request as edge-auth sees it, whichever way it is deployed. */
export interface EdgeRequest {
  method: string;
  /** The original request target as sent (origin-form, or absolute-form). */
  uri: string;
  /** The original Host: an absolute-form target is accepted only for it. */
  host: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  clientIp: string;
  /**
   * Forward-auth: an `X-Tollgate-*` header the client sent. The upstream trusts these headers, and
   * a proxy can only overwrite those it knows by name, so such a request is refused.
   */
  forgedHeader?: string | undefined;
}

export interface EdgeDecision {
  status: number;
  /** Set when denied: the problem code and human detail. */
  code?: ErrorCode;
  detail?: string;
  /** Extra problem+json members (e.g. the violated policy). */
  extensions?: Record<string, unknown>;
  /** Rate-limit headers, and identity headers when allowed. */
  headers: Record<string, string>;
  endpoint: string;
  /** The normalised path and query the decision was made on: what a proxy must forward. */
  target?: string;
}

export interface EdgePipelineOptions {
  endpoints: EndpointMap;
  unmatched: 'allow' | 'deny';
  verifier: KeyVerifier;
  limiter: RateLimiter;
  meter: UsageMeter;
  keyHeaders: readonly KeyHeader[];
  keyPrefix: string;
  edgeInstanceId: string;
  schemaVersion: number;
  decisions: Counter<'outcome'>;
  /** Limits of test-key traffic (per account), used instead of the plan's when test keys are accepted. */
  testKeyLimits: CompiledLimits;
  now?: () => number;
}

/** Identity headers the upstream can trust (edge-auth strips client-sent copies in proxy mode). */
export const IDENTITY_HEADERS = {
  account: 'x-tollgate-account-id',
  key: 'x-tollgate-key-id',
  plan: 'x-tollgate-plan',
  env: 'x-tollgate-key-env',
  endpoint: 'x-tollgate-endpoint',
} as const;

/**
 * The one decision path behind forward-auth and reverse-proxy: endpoint → key → limits → metering.
 * Every request that reaches `decide` produces exactly one RequestMetered, allowed or not.
 */
export class EdgePipeline {
  private readonly now: () => number;
  /** `edge_decisions_total` children, bound once per outcome instead of a label lookup per request. */
  private readonly decided = new Map<Outcome, { inc(): void }>();

  constructor(private readonly options: EdgePipelineOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Synchronous when the decision needs no I/O (a key verified before, limits decided from this
   * replica's state or lease): no promise and no microtask on the hot path. Otherwise a promise.
   */
  decide(request: EdgeRequest): EdgeDecision | Promise<EdgeDecision> {
    const started = performance.now();
    const now = this.now();
    const { options } = this;
    const target = normaliseRequestTarget(request.uri, request.host);
    const matched = target.ok ? options.endpoints.match(request.method, target.path) : undefined;
    const endpoint = matched ?? UNMATCHED_ENDPOINT;

    let refused: EdgeDecision | undefined;
    if (!target.ok) refused = denied('bad_request', target.detail, endpoint);
    else if (request.forgedHeader !== undefined)
      refused = denied(
        'bad_request',
        `${request.forgedHeader} is set from edge-auth's answer; clients may not send X-Tollgate-* headers`,
        endpoint,
      );
    else if (matched === undefined && options.unmatched === 'deny')
      refused = denied('not_found', 'no API endpoint matches this request', endpoint);
    else if (queryCarriesKey(target.query, options.keyPrefix))
      refused = denied(
        'key_in_query',
        'API keys do not belong in URLs (they end up in logs); send it in a header',
        endpoint,
      );
    if (refused !== undefined)
      return this.conclude(request, target, endpoint, refused, 'invalid', null, null, now, started);

    const presented = presentedKey(request.headers, options.keyHeaders);
    const cached = options.verifier.verifyCached(presented, endpoint, now);
    if (cached?.ok) {
      const limited = this.limitRequest(cached.key, cached.plan, endpoint, now);
      const local = options.limiter.checkLocal?.(limited) ?? null;
      if (local !== null)
        return this.concludeLimited(
          request,
          target,
          endpoint,
          cached,
          limited,
          local,
          now,
          started,
        );
    }
    return this.decideWithIo(request, target, endpoint, presented, cached, now, started);
  }

  /** The rest of `decide` when the key or the limits need I/O (a lookup, Redis). */
  private async decideWithIo(
    request: EdgeRequest,
    target: RequestTarget,
    endpoint: Endpoint,
    presented: PresentedKey,
    cached: Verdict | undefined,
    now: number,
    started: number,
  ): Promise<EdgeDecision> {
    const verdict =
      cached ?? (await this.options.verifier.verify(presented, endpoint, request, now, true));
    if (verdict.ok) {
      const limited = this.limitRequest(verdict.key, verdict.plan, endpoint, now);
      const answer = await this.options.limiter.check(limited);
      return this.concludeLimited(
        request,
        target,
        endpoint,
        verdict,
        limited,
        answer,
        now,
        started,
      );
    }
    const decision = denied(verdict.code, verdict.detail, endpoint);
    if (verdict.retryAfterMs !== undefined)
      decision.headers['retry-after'] = String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
    return this.conclude(
      request,
      target,
      endpoint,
      decision,
      verdict.outcome,
      verdict.key,
      null,
      now,
      started,
    );
  }

  /** A verified key's decision from the limiter's answer. */
  private concludeLimited(
    request: EdgeRequest,
    target: RequestTarget,
    endpoint: Endpoint,
    verified: { key: KeyEntry; plan: PlanEntry },
    limited: LimitRequest,
    answer: LimitDecision,
    now: number,
    started: number,
  ): EdgeDecision {
    const { key, plan } = verified;
    const { decision, outcome } = this.limitOutcome(key, plan, limited.limits, answer, endpoint);
    return this.conclude(request, target, endpoint, decision, outcome, key, plan, now, started);
  }

  /** Every decision ends here: the target, the Bearer challenge, the count, the metered event. */
  private conclude(
    request: EdgeRequest,
    target: RequestTarget,
    endpoint: Endpoint,
    decision: EdgeDecision,
    outcome: Outcome,
    key: KeyEntry | null,
    plan: PlanEntry | null,
    now: number,
    started: number,
  ): EdgeDecision {
    const { options } = this;
    if (target.ok) decision.target = target.path + target.query;
    const challenge = bearerChallenge(decision, endpoint);
    if (challenge !== undefined) decision.headers['www-authenticate'] = challenge;

    let decided = this.decided.get(outcome);
    if (decided === undefined) {
      decided = options.decisions.labels(outcome);
      this.decided.set(outcome, decided);
    }
    decided.inc();
    options.meter.record(
      this.metered(request, endpoint, decision.status, outcome, key, plan, now, started),
    );
    return decision;
  }

  /** What the limiter is asked for a key on a plan. */
  private limitRequest(
    key: KeyEntry,
    plan: PlanEntry,
    endpoint: Endpoint,
    now: number,
  ): LimitRequest {
    // Test keys are never billed: their traffic gets its own small limits, per account.
    const test = key.env === 'test';
    const limits = test ? this.options.testKeyLimits : plan.limits;
    const scope = test
      ? `test:${key.account.accountId}`
      : plan.limitScope === 'account'
        ? key.account.accountId
        : key.keyId;
    return { scope, limits, cost: endpoint.cost, now };
  }

  /** The decision from the limiter's answer: allowed with identity headers, or why not. */
  private limitOutcome(
    key: KeyEntry,
    plan: PlanEntry,
    limits: CompiledLimits,
    limited: LimitDecision,
    endpoint: Endpoint,
  ): { decision: EdgeDecision; outcome: Outcome } {
    const headers = rateLimitHeaders(limits, limited);
    if (limited.allowed) {
      headers[IDENTITY_HEADERS.account] = key.account.accountId;
      headers[IDENTITY_HEADERS.key] = key.keyId;
      headers[IDENTITY_HEADERS.plan] = plan.label;
      headers[IDENTITY_HEADERS.env] = key.env;
      headers[IDENTITY_HEADERS.endpoint] = endpoint.name;
      return { decision: { status: 200, headers, endpoint: endpoint.name }, outcome: 'allowed' };
    }
    const violated = limited.violated!;
    if (limited.decidedBy === 'fail-closed') {
      const decision = denied(
        'dependency_unavailable',
        'rate limits cannot be checked right now; retry shortly',
        endpoint,
        headers,
      );
      return { decision, outcome: 'rate_limited' };
    }
    const quota = violated.kind === 'quota';
    const decision = denied(
      quota ? 'quota_exceeded' : 'rate_limited',
      quota
        ? 'the monthly quota of this plan is used up'
        : `rate limit "${violated.name}" exceeded; retry after the Retry-After seconds`,
      endpoint,
      headers,
      { policy: violated.name },
    );
    return { decision, outcome: quota ? 'quota_exceeded' : 'rate_limited' };
  }

  private metered(
    request: EdgeRequest,
    endpoint: Endpoint,
    status: number,
    outcome: Outcome,
    key: KeyEntry | null,
    plan: PlanEntry | null,
    now: number,
    started: number,
  ): RequestMetered {
    return {
      eventId: newEventId(now),
      occurredAt: now,
      producer: 'edge-auth',
      schemaVersion: this.options.schemaVersion,
      keyId: key?.keyId ?? null,
      accountId: key?.account.accountId ?? null,
      planId: plan?.planId ?? key?.account.plan?.planId ?? null,
      env: key?.env ?? null,
      method: request.method.length <= 16 ? request.method : 'OTHER',
      route: endpoint.name,
      status,
      outcome,
      costUnits: endpoint.cost,
      latencyMicros: Math.round((performance.now() - started) * 1000),
      edgeInstanceId: this.options.edgeInstanceId,
    };
  }
}

/** The `realm` of edge-auth's Bearer challenges. */
export const BEARER_REALM = 'tollgate';

/**
 * RFC 6750 §3: every 401 names the Bearer scheme; a key that was presented but is not usable is
 * `invalid_token` (the problem code as description), a missing scope `insufficient_scope` (403), a
 * key in the URL `invalid_request` (400). A request without any key gets no error code (§3.1).
 */
function bearerChallenge(decision: EdgeDecision, endpoint: Endpoint): string | undefined {
  const { code } = decision;
  const realm = `Bearer realm="${BEARER_REALM}"`;
  if (code === 'key_missing') return realm;
  if (decision.status === 401)
    return `${realm}, error="invalid_token", error_description="${code}"`;
  if (code === 'forbidden' && endpoint.scopes.length > 0)
    return `${realm}, error="insufficient_scope", scope="${endpoint.scopes.join(' ')}"`;
  if (code === 'key_in_query') return `${realm}, error="invalid_request"`;
  return undefined;
}

function denied(
  code: ErrorCode,
  detail: string,
  endpoint: Endpoint,
  headers: Record<string, string> = {},
  extensions?: Record<string, unknown>,
): EdgeDecision {
  return {
    status: ERROR_STATUS[code],
    code,
    detail,
    headers,
    endpoint: endpoint.name,
    ...(extensions ? { extensions } : {}),
  };
}
