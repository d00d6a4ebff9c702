import { newId } from '@tollgate/events';
import { accountAt, DomainError, type AccountCommand } from '@tollgate/key-service-domain';
import { accountAggregate } from './aggregates';
import { requirePlanVersion, type CommandContext } from './command-context';
import { execute, load } from './execute';

/** Account lifecycle and plan assignment: one transaction per command. */
export function accountCommands(ctx: CommandContext) {
  const run = async (accountId: string, command: (now: number) => AccountCommand) => {
    const now = ctx.now();
    await ctx.db.transaction(async (tx) => {
      const loaded = await load(tx, accountAggregate, accountId);
      await execute(tx, ctx.codec, accountAggregate, accountId, command(now), loaded, now);
    });
  };

  return {
    async createAccount(input: { name: string; planId?: string }): Promise<{ accountId: string }> {
      const accountId = newId('account');
      const now = ctx.now();
      await ctx.db.transaction(async (tx) => {
        const plan = await requirePlanVersion(tx, input.planId ?? 'plan_free');
        const loaded = await load(tx, accountAggregate, accountId);
        const command: AccountCommand = {
          type: 'CreateAccount',
          data: { accountId, name: input.name, plan },
          metadata: { now },
        };
        await execute(tx, ctx.codec, accountAggregate, accountId, command, loaded, now);
      });
      return { accountId };
    },

    suspendAccount: (accountId: string, reason: string) =>
      run(accountId, (now) => ({
        type: 'SuspendAccount',
        data: { accountId, reason },
        metadata: { now },
      })),

    reactivateAccount: (accountId: string) =>
      run(accountId, (now) => ({
        type: 'ReactivateAccount',
        data: { accountId },
        metadata: { now },
      })),

    async assignPlan(
      accountId: string,
      input: { planId: string; planVersion?: number; effectiveAt?: number },
    ): Promise<void> {
      const now = ctx.now();
      await ctx.db.transaction(async (tx) => {
        const plan = await requirePlanVersion(tx, input.planId, input.planVersion);
        const loaded = await load(tx, accountAggregate, accountId);
        const command: AccountCommand = {
          type: 'AssignPlan',
          data: { accountId, plan, effectiveAt: input.effectiveAt },
          metadata: { now },
        };
        await execute(tx, ctx.codec, accountAggregate, accountId, command, loaded, now);
      });
    },

    /** Drops the scheduled plan change: the account stays on the plan it is on now. */
    async cancelScheduledPlanChange(accountId: string): Promise<void> {
      const now = ctx.now();
      await ctx.db.transaction(async (tx) => {
        const loaded = await load(tx, accountAggregate, accountId);
        const current = accountAt(loaded.state, now);
        if (current.status === 'none')
          throw new DomainError(
            'not_found',
            'account_not_found',
            `account ${accountId} does not exist`,
          );
        // The event re-affirms the current plan version, with its definition from the catalog.
        const plan = await requirePlanVersion(tx, current.plan.planId, current.plan.planVersion);
        const command: AccountCommand = {
          type: 'CancelScheduledPlanChange',
          data: { accountId, plan },
          metadata: { now },
        };
        await execute(tx, ctx.codec, accountAggregate, accountId, command, loaded, now);
      });
    },
  };
}
