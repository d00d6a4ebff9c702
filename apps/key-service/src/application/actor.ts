import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who asked for the command being executed, as the published events name it (`actor`):
 * `token:<id>` or `oidc:<subject>` (an admin token or a person, asserted by admin-api),
 * `service:<caller>` (another app calling with its service credential), `system:<what>`
 * (key-service itself). Set once per request or job and read where events are built, so no
 * command signature has to carry it.
 */
const actors = new AsyncLocalStorage<string | null>();

/** An actor as events may carry it: a known kind and up to 200 visible ASCII characters. */
export const ACTOR_PATTERN = /^(token|oidc|service|system):[\x21-\x7e]{1,200}$/;

/** The callers whose `x-tollgate-actor` header is believed: the management entry only. */
export const ACTOR_ASSERTING_CALLERS: ReadonlySet<string> = new Set(['admin-api']);

export function actingAs<T>(actor: string | null, work: () => T): T {
  return actors.run(actor, work);
}

export function currentActor(): string | null {
  return actors.getStore() ?? null;
}

/**
 * The actor of a request: the asserted one when the caller may assert actors (or when service
 * credentials are off, in development) and it is well-formed; otherwise the calling service.
 */
export function actorOfRequest(
  caller: string | undefined,
  asserted: string | string[] | undefined,
): string | null {
  const claimed = typeof asserted === 'string' && ACTOR_PATTERN.test(asserted) ? asserted : null;
  if (caller === undefined) return claimed;
  if (ACTOR_ASSERTING_CALLERS.has(caller) && claimed) return claimed;
  return `service:${caller}`;
}
