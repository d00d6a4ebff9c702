import { expect } from 'vitest';
import { DomainError } from './domain-error';

/** Given these events, when this command, then these events (or this error): Emmett-style decider tests. */
export function deciderSpec<C, E, S>(decider: {
  decide: (c: C, s: S) => E[];
  evolve: (s: S, e: E) => S;
  initialState: () => S;
}) {
  return {
    given(events: E[]) {
      const state = events.reduce(decider.evolve, decider.initialState());
      return {
        when(command: C) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: E[]) {
              expect(run()).toEqual(expected);
            },
            thenThrows(code: string, kind?: DomainError['kind']) {
              let error: unknown;
              try {
                run();
              } catch (e) {
                error = e;
              }
              expect(error).toBeInstanceOf(DomainError);
              expect((error as DomainError).code).toBe(code);
              if (kind) expect((error as DomainError).kind).toBe(kind);
            },
          };
        },
      };
    },
  };
}
