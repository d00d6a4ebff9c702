import { newEventId } from '@tollgate/events';
import type { Sql } from '@tollgate/postgres';
import { appendToStream, readStream } from '../persistence/event-store';
import { project, type KeyServiceEvent } from '../persistence/projections';

export interface Decider<C, E extends KeyServiceEvent, S> {
  decide(command: C, state: S): E[];
  evolve(state: S, event: E): S;
  initialState(): S;
}

export async function loadState<C, E extends KeyServiceEvent, S>(
  tx: Sql,
  streamId: string,
  decider: Decider<C, E, S>,
) {
  const { events, version } = await readStream<E>(tx, streamId);
  return {
    state: events.reduce((s, e) => decider.evolve(s, e.event), decider.initialState()),
    version,
  };
}

/**
 * Decides a command against a stream's current state and appends the resulting events with
 * their inline projections, in the caller's transaction. Callers read every stream they need
 * before their first append, so a transaction's id orders its events after the ones it read.
 */
export async function decideAndAppend<C, E extends KeyServiceEvent, S>(
  tx: Sql,
  streamId: string,
  decider: Decider<C, E, S>,
  command: C,
  loaded: { state: S; version: number },
  now: number,
): Promise<{ state: S; appended: Array<{ event: E; eventId: string; after: S }> }> {
  const events = decider.decide(command, loaded.state);
  const appended: Array<{ event: E; eventId: string; after: S }> = [];
  let state = loaded.state;
  for (const event of events) {
    state = decider.evolve(state, event);
    appended.push({ event, eventId: newEventId(now), after: state });
  }
  const last = await appendToStream(tx, streamId, loaded.version, appended);
  let version = last - appended.length;
  for (const { event } of appended) await project(tx, event, ++version);
  return { state, appended };
}
