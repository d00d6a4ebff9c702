/** The shapes the console reads from admin-api's public `/v1` API (and `/console/session`). */
export interface Principal {
  actor: string;
  via: 'admin_token' | 'oidc';
  tokenId: string | null;
  name: string;
  role: string;
  accountId: string | null;
}

export interface SessionView {
  principal: Principal;
  csrfToken: string | null;
  idleExpiresAt: string | null;
  expiresAt: string | null;
  /** `METHOD /v1/pattern` routes this role and scope may call, from the server's permission table. */
  allowedRoutes: string[];
}

export interface Account {
  accountId: string;
  name: string;
  status: string;
  suspensionReason: string | null;
  plan: { planId: string; planVersion: number };
  scheduledPlanChange: { planId: string; planVersion: number; effectiveAt: string } | null;
  createdAt: string;
}

export interface ApiKey {
  keyId: string;
  accountId: string;
  name: string | null;
  displayHint: string;
  env: string;
  scopes: string[];
  status: string;
  expiresAt: string | null;
  stopsWorkingAt: string | null;
  revocation: { reason: string | null; revokedAt: string } | null;
  issuedAt: string;
}

export interface PlanSummary {
  planId: string;
  latestVersion: number;
  name: string;
}

export interface PlanDetail {
  planId: string;
  versions: Array<{
    version: number;
    createdAt: string;
    definition: {
      name: string;
      monthlyQuota: number | null;
      limitScope: string;
      rateLimits: Array<{ name: string; limit: number; windowMs: number }>;
      price: { currency: string; baseFeeMinor: number; includedUnits: number };
    };
  }>;
}

export interface AuditEvent {
  seq: string;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  route: string;
  target: Record<string, string>;
  outcome: string;
  status: number;
}

export interface AdminToken {
  tokenId: string;
  name: string;
  role: string;
  accountId: string | null;
  displayHint: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export interface SeriesPoint {
  bucket: string;
  outcome: string;
  requests: number;
}

/** One line of a top list (`usage/top?by=key|route`). */
export interface TopItem {
  keyId?: string;
  route?: string;
  requests: number;
  allowedRequests: number;
  rejectedRequests: number;
  lastSeenAt: string;
}

/** `GET /v1/usage/closest-to-quota`: this month's accounts by share of their monthly quota. */
export interface ClosestToQuota {
  period: string;
  items: Array<{
    accountId: string;
    name: string;
    status: string;
    planId: string;
    planVersion: number;
    monthlyQuota: number;
    limitScope: string;
    billableUnits: number;
    usedRatio: number;
  }>;
  complete: boolean;
  candidates: number;
}

/** One invoice from billing-service, with its lines (each a plan segment of the period). */
export interface InvoiceDetail {
  invoiceId: string;
  accountId: string;
  period: string;
  currency: string;
  status: string;
  totalMinor: number;
  finalizedAt: string | null;
  paidAt: string | null;
  voidedAt: string | null;
  failedAttempts: number;
  /** Shown when billing-service includes it (once the invoice is synced to Stripe). */
  stripeInvoiceId?: string | null;
  lines: Array<{
    lineNo?: number;
    kind: string;
    description: string;
    planId: string;
    planVersion: number;
    from: string;
    to: string;
    quantity: number;
    includedUnits?: number;
    amountMinor: number;
  }>;
}
