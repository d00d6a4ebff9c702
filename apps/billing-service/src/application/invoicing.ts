import { newEventId, newId, type EventCodec } from '@tollgate/events';
import { enqueueOutbox, type Database } from '@tollgate/postgres';
import { billingPeriod, periodAt, type BillingPeriod } from '../domain/billing-period';
import {
  adjustmentLine,
  rateProration,
  rateSegments,
  sumOf,
  type ProrationBehavior,
  type RatedInvoice,
  type RatedLine,
} from '../domain/rating';
import {
  midPeriodChange,
  planSegments,
  type PlanEntry,
  type PlanPrice,
  type PlanSegment,
  type TimelineEntry,
} from '../domain/subscription-timeline';
import {
  adjustedUnits,
  collectedPeriodInvoicesBefore,
  insertDraftInvoice,
  invoiceOfChange,
  invoiceOfPeriod,
  transitionInvoice,
  type InvoiceLineRecord,
  type InvoiceRecord,
  type NewInvoice,
} from '../persistence/invoice-repository';
import { changesWithoutProration, timelineOf } from '../persistence/timeline-repository';
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
    const changed = [...timeline, change];
    const withChange = await this.ratePeriod(accountId, period, {
      usageUntil: now,
      timeline: changed,
    });
    const midPeriod =
      this.options.proration === 'immediate' ? midPeriodChange(changed, change.eventId) : undefined;
    const prorationInvoice = midPeriod ? rateProration(midPeriod) : null;
    return {
      current,
      withChange: withChange!,
      /** What `PRORATION_BEHAVIOR=immediate` would invoice at once for the change; null otherwise. */
      prorationInvoice,
      differenceMinor:
        withChange!.totalMinor - current.totalMinor + (prorationInvoice?.totalMinor ?? 0),
    };
  }

  /**
   * `PRORATION_BEHAVIOR=immediate`: invoices the plan change `eventId` at once for the difference
   * over the rest of its period (see `rateProration`), finalized and queued for Stripe like a
   * period's invoice. One invoice per change, whoever asks and however often (the PlanChanged
   * consumer on arrival, the closing worker on every run). Nothing when the behaviour is another,
   * when the change is no mid-period change in force (replaced, first plan, at a period's start,
   * same version, or not effective yet: the worker issues it once it is), when its period is
   * already invoiced (a PlanChanged that arrives after its period closed changes no closed
   * period, like under `next_invoice`), or when the difference is zero.
   */
  async invoiceProration(accountId: string, eventId: string): Promise<InvoiceRecord | undefined> {
    if (this.options.proration !== 'immediate') return undefined;
    const { sql } = this.options.db;
    const existing = await invoiceOfChange(sql, accountId, eventId);
    if (existing) return existing;
    const now = this.options.now();
    const change = midPeriodChange(await timelineOf(sql, accountId), eventId);
    if (!change || change.change.effectiveAt > now) return undefined;
    if (await invoiceOfPeriod(sql, accountId, change.period.period)) return undefined;
    const rated = rateProration(change);
    if (rated.totalMinor === 0) return undefined;
    return this.finalize(
      this.newInvoice(accountId, change.period.period, rated, now, {
        kind: 'proration',
        changeEventId: eventId,
      }),
    );
  }

  /**
   * The plan changes effective in [from, min(to, now)] that may still owe a proration invoice
   * (`invoiceProration` decides): the closing worker's catch-up for changes scheduled inside a
   * period and for a consumer that could not issue one. Empty unless the behaviour is `immediate`.
   */
  async dueProrations(from: number, to: number) {
    if (this.options.proration !== 'immediate') return [];
    return changesWithoutProration(this.options.db.sql, from, Math.min(to, this.options.now() + 1));
  }

  /**
   * Closes an account's period: rates it, adds adjustment lines for usage of any earlier period
   * that reached the ledger after that period's invoice was finalized, and writes the invoice as
   * a draft and finalizes it in one transaction with its InvoiceFinalized event (outbox) and its
   * Stripe collection request. Under `immediate`, the period's proration invoices still owed are
   * issued first (a change once its period is invoiced is never invoiced). A period already
   * invoiced is returned as it is.
   */
  async closePeriod(accountId: string, period: string): Promise<InvoiceRecord | undefined> {
    const existing = await invoiceOfPeriod(this.options.db.sql, accountId, period);
    if (existing) return existing;
    const bounds = billingPeriod(period);
    const timeline = await timelineOf(this.options.db.sql, accountId);
    const rated = await this.ratePeriod(accountId, bounds, { timeline });
    if (!rated) return undefined;
    // The period's invoice leaves the differences to the proration invoices: issue them first.
    if (this.options.proration === 'immediate')
      for (const entry of timeline)
        if (
          entry.kind === 'plan' &&
          entry.effectiveAt > bounds.start &&
          entry.effectiveAt < bounds.end
        )
          await this.invoiceProration(accountId, entry.eventId);
    const adjustments = await this.lateArrivals(accountId, period, timeline);
    const now = this.options.now();
    return this.finalize(
      this.newInvoice(
        accountId,
        period,
        {
          currency: rated.currency,
          lines: [...rated.lines.map((l) => ({ ...l, adjusts: null })), ...adjustments],
        },
        now,
        { kind: 'period', changeEventId: null },
      ),
    );
  }

  private newInvoice(
    accountId: string,
    period: string,
    rated: Pick<RatedInvoice, 'currency'> & {
      lines: ReadonlyArray<
        RatedLine &
          Partial<Pick<InvoiceLineRecord, 'usageFrom' | 'usageTo' | 'suspended' | 'adjusts'>>
      >;
    },
    now: number,
    kind: Pick<NewInvoice, 'kind' | 'changeEventId'>,
  ): NewInvoice {
    const lines: InvoiceLineRecord[] = rated.lines.map((l, i) => ({
      usageFrom: l.from,
      usageTo: l.from,
      suspended: false,
      adjusts: null,
      ...l,
      lineNo: i + 1,
    }));
    return {
      invoiceId: newId('invoice', now),
      accountId,
      period,
      ...kind,
      currency: rated.currency,
      totalMinor: sumOf(lines),
      createdAt: now,
      lines,
    };
  }

  /**
   * Writes the invoice as a draft and finalizes it in one transaction with its InvoiceFinalized
   * event (outbox) and its Stripe collection request. When it exists already (the period's, or
   * the same change's), the existing one is returned and nothing is written.
   */
  private finalize(draft: NewInvoice): Promise<InvoiceRecord | undefined> {
    const { invoiceId, accountId, period, totalMinor, createdAt: now } = draft;
    return this.options.db.transaction(async (tx) => {
      const inserted = await insertDraftInvoice(tx, draft);
      if (!inserted)
        return draft.changeEventId === null
          ? invoiceOfPeriod(tx, accountId, period)
          : invoiceOfChange(tx, accountId, draft.changeEventId);
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
          invoiceKind: draft.kind,
          planChangeEventId: draft.changeEventId,
        },
      });
      await enqueueStripeSync(tx, {
        invoiceId,
        accountId,
        currency: invoice.currency,
        period,
        ...(draft.kind === 'proration'
          ? { description: `Tollgate plan change ${period} (proration)` }
          : {}),
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
   * Usage of every earlier period's finalized invoice (not only the previous period's) that the
   * ledger holds now beyond what was billed (the invoiced units plus earlier adjustments), priced
   * as the increment on each usage line. An invoice whose usage range the ledger still counts
   * as billed costs one usage-ingestor call; only one that differs is read line by line.
   */
  private async lateArrivals(
    accountId: string,
    period: string,
    timeline: readonly TimelineEntry[],
  ): Promise<Array<Omit<InvoiceLineRecord, 'lineNo'>>> {
    const { sql } = this.options.db;
    const lines: Array<Omit<InvoiceLineRecord, 'lineNo'>> = [];
    for (const invoice of await collectedPeriodInvoicesBefore(sql, accountId, period))
      lines.push(...(await this.lateArrivalsOf(invoice, timeline)));
    return lines;
  }

  private async lateArrivalsOf(
    invoice: InvoiceRecord,
    timeline: readonly TimelineEntry[],
  ): Promise<Array<Omit<InvoiceLineRecord, 'lineNo'>>> {
    const { sql } = this.options.db;
    const { accountId } = invoice;
    const usageLines = invoice.lines.filter((l) => l.kind === 'usage' && l.usageTo > l.usageFrom);
    if (usageLines.length === 0) return [];
    const adjusted = await adjustedUnits(sql, invoice.invoiceId);
    const billedInAll = usageLines.reduce(
      (sum, l) => sum + l.quantity + (adjusted.get(l.lineNo) ?? 0),
      0,
    );
    const from = Math.min(...usageLines.map((l) => l.usageFrom));
    const to = Math.max(...usageLines.map((l) => l.usageTo));
    if ((await this.options.usage.billableUnits(accountId, from, to)) <= billedInAll) return [];
    const lines: Array<Omit<InvoiceLineRecord, 'lineNo'>> = [];
    for (const line of usageLines) {
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
