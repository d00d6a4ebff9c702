import type { Sql } from '@tollgate/postgres';

/** What happened to a reported key: revoked by this report, or already not working. */
export type LeakOutcome = 'revoked' | 'already_revoked';

export interface LeakedKeyReport {
  source: string;
  keyId: string;
  accountId: string;
  outcome: LeakOutcome;
  tokenType: string;
  foundAtUrl: string | null;
  foundIn: string | null;
  reportedAt: number;
}

/** The record of every leak report that matched one of our keys (never the token). */
export const leakedKeyReports = {
  async record(tx: Sql, report: LeakedKeyReport): Promise<void> {
    await tx.query(
      `insert into leaked_key_reports (source, key_id, account_id, outcome, token_type, found_at_url, found_in, reported_at)
       values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        report.source,
        report.keyId,
        report.accountId,
        report.outcome,
        report.tokenType,
        report.foundAtUrl,
        report.foundIn,
        new Date(report.reportedAt).toISOString(),
      ],
    );
  },
};
