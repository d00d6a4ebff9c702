import type { KeyHasher } from '@tollgate/api-keys';
import type { EventCodec } from '@tollgate/events';
import type { Database } from '@tollgate/postgres';
import { accountCommands } from './account-commands';
import type { CommandContext } from './command-context';
import { keyCommands } from './key-commands';
import { leakedKeyContainment } from './leaked-key-containment';
import { planCommands } from './plan-commands';
import { replayCurrentState } from './replay-current-state';

export type { IssuedKey } from './key-commands';

export interface KeyServiceCommandsOptions {
  db: Database;
  codec: EventCodec;
  hasher: KeyHasher;
  keyPrefix: string;
  defaultRotationGraceMs: number;
  now?: () => number;
}

/** The write side of key-service: every command is one transaction over the event store and outbox. */
export function createKeyServiceCommands(options: KeyServiceCommandsOptions) {
  const ctx: CommandContext = { ...options, now: options.now ?? Date.now };
  const accounts = accountCommands(ctx);
  return {
    ...accounts,
    ...keyCommands(ctx),
    ...planCommands(ctx, accounts),
    ...leakedKeyContainment(ctx),
    replayCurrentState: () => replayCurrentState(ctx),
  };
}

export type KeyServiceCommands = ReturnType<typeof createKeyServiceCommands>;
