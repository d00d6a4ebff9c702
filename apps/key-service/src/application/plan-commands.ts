import {
  DEFAULT_PLANS,
  DomainError,
  latestVersion,
  type PlanCommand,
  type PlanDefinition,
} from '@tollgate/key-service-domain';
import { accountsOnOlderPlanVersion } from '../persistence/read-model';
import type { accountCommands } from './account-commands';
import { planAggregate } from './aggregates';
import type { CommandContext } from './command-context';
import { execute, load } from './execute';

/** The plan catalog: plans and their immutable versions. */
export function planCommands(ctx: CommandContext, accounts: ReturnType<typeof accountCommands>) {
  const run = async (planId: string, command: (now: number) => PlanCommand) => {
    const now = ctx.now();
    return ctx.db.transaction(async (tx) => {
      const loaded = await load(tx, planAggregate, planId);
      return execute(tx, ctx.codec, planAggregate, planId, command(now), loaded, now);
    });
  };

  const createPlan = async (planId: string, definition: PlanDefinition): Promise<void> => {
    await run(planId, (now) => ({
      type: 'CreatePlan',
      data: { planId, definition },
      metadata: { now },
    }));
  };

  return {
    createPlan,

    /**
     * Publishes an edited plan as its next version; with `moveAccounts`, every account on an older
     * version of this plan moves to it (one PlanChanged each, one transaction per account).
     */
    async createPlanVersion(
      planId: string,
      definition: PlanDefinition,
      options: { moveAccounts?: boolean } = {},
    ) {
      const { state } = await run(planId, (now) => ({
        type: 'CreatePlanVersion',
        data: { planId, definition },
        metadata: { now },
      }));
      const version = latestVersion(state)!.version;
      let moved = 0;
      if (options.moveAccounts) {
        for (const accountId of await accountsOnOlderPlanVersion(ctx.db.sql, planId, version)) {
          await accounts.assignPlan(accountId, { planId, planVersion: version });
          moved++;
        }
      }
      return { version, movedAccounts: moved };
    },

    /** Creates the default plan tiers that do not exist yet; safe to run on every start. */
    async seedDefaultPlans(): Promise<string[]> {
      const created: string[] = [];
      for (const [planId, definition] of Object.entries(DEFAULT_PLANS)) {
        try {
          await createPlan(planId, definition);
          created.push(planId);
        } catch (err) {
          const benign =
            err instanceof DomainError &&
            (err.code === 'plan_already_exists' || err.code === 'concurrent_modification');
          if (!benign) throw err;
        }
      }
      return created;
    },
  };
}
