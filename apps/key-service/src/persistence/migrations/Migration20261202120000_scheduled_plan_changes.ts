import { Migration } from '@mikro-orm/migrations';

/**
 * An account's scheduled plan change (e.g. a downgrade at the period's end) is kept apart from
 * its current plan, so lookups and views never show a future plan before its time. Accounts whose
 * latest assignment is still in the future are corrected here from the event store.
 */
export class Migration20261202120000ScheduledPlanChanges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table accounts
        add column scheduled_plan_id text,
        add column scheduled_plan_version integer,
        add column scheduled_effective_at timestamptz;`);
    // Accounts whose latest assignment lies in the future: that assignment becomes the scheduled
    // change and the one before it (its "previous") the current plan again.
    this.addSql(`
      with latest as (
        select distinct on (stream_id) stream_id, data
        from events
        where event_type = 'PlanAssigned'
        order by stream_id, stream_version desc
      )
      update accounts a
         set scheduled_plan_id = a.plan_id,
             scheduled_plan_version = a.plan_version,
             scheduled_effective_at = to_timestamp((l.data->>'effectiveAt')::bigint / 1000.0),
             plan_id = l.data->'previous'->>'planId',
             plan_version = (l.data->'previous'->>'planVersion')::int
        from latest l
       where l.stream_id = a.account_id
         and (l.data->>'effectiveAt')::bigint > (l.data->>'assignedAt')::bigint
         and (l.data->>'effectiveAt')::bigint > extract(epoch from now()) * 1000
         and l.data->'previous' is not null
         and jsonb_typeof(l.data->'previous') = 'object';`);
  }
}
