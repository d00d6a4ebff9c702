import { newEventId, newId, type EventCodec } from '@tollgate/events';
import { enqueueOutbox, type Database } from '@tollgate/postgres';
import { billingPeriod, periodAt, type BillingPeriod } from '../domain/billing-period';
import {
  adjustmentLine,
  rateSegments,
  sumOf,
  type ProrationBehavior,
  type RatedLine,
} from '../domain/rating';
import {
  planSegments,
  type PlanEntry,
  type PlanPrice,
  type PlanSegment,
  type TimelineEntry,
} from '../domain/subscription-timeline';
import {
  adjustedUnits,
  insertDraftInvoice,
  invoiceOfPeriod,
  transitionInvoice,
  type InvoiceLineRecord,
  type InvoiceRecord,
} from '../persistence/invoice-repository';
import { timelineOf } from '../persistence/timeline-repository';
import { enqueueStripeSync } from '../stripe';
import type { UsageSource } from './usage-source';

export const PRODUCER = 'billing-service';
const MINUTE = 60_000;

/** A period rated from the timeline and the ledger: what an invoice of it would hold. */
export interface RatedPeriod {
  accountId: string;
  period: string;
  currency: string;
  segments: PlanSegment[];
  lines: Array<RatedLine & { usageFrom: number; usageTo: number; suspended: boolean }>;
  totalMinor: number;
}

export interface InvoicingOptions {
  db: Database;
  usage: UsageSource;
  codec: EventCodec;
  now: () => number;
  proration: ProrationBehavior;
}

/**
 * Rating, closing and previews share this code: an upcoming invoice, a plan-change preview and a
 * closed period's invoice are the same computation over different timelines and usage windows.
 */
export class Invoicing {
  constructor(private readonly options: InvoicingOptions) {}

  /**
   * Rates `period` for an account; usage is read up to `usageUntil` (exclusive, floored to the
   * minute) when given. Undefined when the account had no plan in the period.
   */
  async ratePeriod(
    accountId: string,
    period: BillingPeriod,
    options: { usageUntil?: number; timeline?: TimelineEntry[] } = {},
  ): Promise<RatedPeriod | undefined> {
    const timeline = options.timeline ?? (await timelineOf(this.options.db.sql, accountId));
    const segments = planSegments(timeline, period);
    if (segments.length === 0) return undefined;
    const cutoff =
      options.usageUntil === undefined
        ? Number.POSITIVE_INFINITY
        : Math.floor(options.usageUntil / MINUTE) * MINUTE;
    const usage = await Promise.all(
      segments.map(async (s) => {
        const to = Math.min(s.usageTo, cutoff);
        return to > s.usageFrom ? this.options.usage.billableUnits(accountId, s.usageFrom, to) : 0;
      }),
    );
    const rated = rateSegments(
      segments,
      usage,
      (period.end - period.start) / 1000,
      this.options.proration,
    );
    const segmentOf = (line: RatedLine) => segments.find((s) => s.from === line.from)!;
    return {
      accountId,
      period: period.period,
      currency: rated.currency,
      segments,
      lines: rated.lines.map((line) => {
        const segment = segmentOf(line);
        return {
          ...line,
          usageFrom: segment.usageFrom,
          usageTo: segment.usageTo,
          suspended: segment.suspended,
        };
      }),
      totalMinor: rated.totalMinor,
    };
  }

  /** What the current period costs so far: the full period's base fees, usage up to now. */
  upcoming(accountId: string): Promise<RatedPeriod | undefined> {
    const now = this.options.now();
    return this.ratePeriod(accountId, periodAt(now), { usageUntil: now });
  }

  /** The current period rated as it stands and as it would be with `plan` from `effectiveAt`. */
  async previewPlanChange(accountId: string, plan: PlanPrice, effectiveAt: number) {
    const now = this.options.now();
    const timeline = await timelineOf(this.options.db.sql, accountId);
    const change: PlanEntry = {
      kind: 'plan',
      eventId: 'preview',
      effectiveAt,
      occurredAt: Number.MAX_SAFE_INTEGER,
      plan,
    };
    const period = periodAt(now);
    const current = await this.ratePeriod(accountId, period, { usageUntil: now, timeline });
    if (!current) return undefined;
    const withChange = await this.ratePeriod(accountId, period, {
      usageUntil: now,
      timeline: [...timeline, change],
    });
    return {
      current,
      withChange: withChange!,
      differenceMinor: withChange!.totalMinor - current.totalMinor,
    };
  }

  /**
   * Closes an account's period: rates it, adds adjustment lines for usage of the previous
   * period that reached the ledger after that invoice was finalized, and writes the invoice as a
   * draft and finalizes it in one transaction with its InvoiceFinalized event (outbox) and its
   * Stripe collection request. A period already invoiced is returned as it is.
   */
  async closePeriod(accountId: string, period: string): Promise<InvoiceRecord | undefined> {
    const existing = await invoiceOfPeriod(this.options.db.sql, accountId, period);
    if (existing) return existing;
    const bounds = billingPeriod(period);
    const timeline = await timelineOf(this.options.db.sql, accountId);
    const rated = await this.ratePeriod(accountId, bounds, { timeline });
    if (!rated) return undefined;
    const adjustments = await this.lateArrivals(accountId, periodAt(bounds.start - 1), timeline);
    const now = this.options.now();
    const invoiceId = newId('invoice', now);
    const lines: InvoiceLineRecord[] = [
      ...rated.lines.map((l) => ({ ...l, adjusts: null })),
      ...adjustments,
    ].map((l, i) => ({ ...l, lineNo: i + 1 }));
    const totalMinor = sumOf(lines);
    return this.options.db.transaction(async (tx) => {
      const inserted = await insertDraftInvoice(tx, {
        invoiceId,
        accountId,
        period,
        currency: rated.currency,
        totalMinor,
        createdAt: now,
        lines,
      });
      if (!inserted) return invoiceOfPeriod(tx, accountId, period);
      const invoice = (await transitionInvoice(tx, invoiceId, ['draft'], 'finalized', {
        finalizedAt: now,
      }))!;
      await enqueueOutbox(tx, accountId, {
        type: 'InvoiceFinalized',
        payload: {
          eventId: newEventId(now),
          occurredAt: now,
          producer: PRODUCER,
          schemaVersion: this.options.codec.currentVersion('InvoiceFinalized'),
          invoiceId,
          accountId,
          period,
          currency: invoice.currency,
          lines: invoice.lines.map((l) => ({
            lineId: `${invoiceId}-${l.lineNo}`,
            kind: l.kind,
            description: l.description,
            planId: l.planId,
            planVersion: l.planVersion,
            quantity: l.quantity,
            amountMinor: l.amountMinor,
          })),
          totalMinor,
          finalizedAt: now,
        },
      });
      await enqueueStripeSync(tx, {
        invoiceId,
        accountId,
        currency: invoice.currency,
        period,
        lines: invoice.lines.map((l) => ({
          lineId: `${invoiceId}-${l.lineNo}`,
          description: l.description,
          amountMinor: l.amountMinor,
        })),
        totalMinor,
      });
      return invoice;
    });
  }

  /**
   * Usage of `previous`'s finalized invoice that the ledger holds now beyond what was billed
   * (the invoiced units plus earlier adjustments), priced as the increment on each usage line.
   */
  private async lateArrivals(
    accountId: string,
    previous: BillingPeriod,
    timeline: readonly TimelineEntry[],
  ): Promise<Array<Omit<InvoiceLineRecord, 'lineNo'>>> {
    const { sql } = this.options.db;
    const invoice = await invoiceOfPeriod(sql, accountId, previous.period);
    if (!invoice || invoice.status === 'draft' || invoice.status === 'void') return [];
    const adjusted = await adjustedUnits(sql, invoice.invoiceId);
    const lines: Array<Omit<InvoiceLineRecord, 'lineNo'>> = [];
    for (const line of invoice.lines) {
      if (line.kind !== 'usage' || line.usageTo <= line.usageFrom) continue;
      const billed = line.quantity + (adjusted.get(line.lineNo) ?? 0);
      const now = await this.options.usage.billableUnits(accountId, line.usageFrom, line.usageTo);
      if (now <= billed) continue;
      const plan = timeline.find(
        (e): e is PlanEntry =>
          e.kind === 'plan' &&
          e.plan.planId === line.planId &&
          e.plan.planVersion === line.planVersion,
      )!.plan;
      const adjustment = adjustmentLine({ ...line, quantity: billed }, plan, now - billed);
      lines.push({
        ...adjustment,
        usageFrom: line.usageFrom,
        usageTo: line.usageTo,
        suspended: line.suspended,
        adjusts: { invoiceId: invoice.invoiceId, lineNo: line.lineNo },
      });
    }
    return lines;
  }
}
