import { newEventId, type EventCodec } from '@tollgate/events';
import type { Sql } from '@tollgate/postgres';
import { appendToStream, readStream } from '../persistence/event-store';
import { enqueueOutbox } from '@tollgate/postgres';
import { project, type KeyServiceEvent } from '../persistence/projections';
import { currentActor } from './actor';
import type { Aggregate, Appended } from './aggregates';

export interface Loaded<S> {
  state: S;
  version: number;
}

/** An aggregate's current state and stream version, folded from its stored events. */
export async function load<C, E extends KeyServiceEvent, S>(
  tx: Sql,
  aggregate: Aggregate<C, E, S>,
  id: string,
): Promise<Loaded<S>> {
  const { decider } = aggregate;
  const { events, version } = await readStream<E>(tx, aggregate.stream(id));
  return {
    state: events.reduce((s, e) => decider.evolve(s, e.event), decider.initialState()),
    version,
  };
}

/**
 * The one write step of every command: decide against the loaded state, append the new events
 * with their inline projections, and enqueue what they publish in the outbox — all in the caller's
 * transaction. Callers load every stream they need before their first append, so a transaction's
 * id orders its events after the ones it read.
 */
export async function execute<C, E extends KeyServiceEvent, S>(
  tx: Sql,
  codec: EventCodec,
  aggregate: Aggregate<C, E, S>,
  id: string,
  command: C,
  loaded: Loaded<S>,
  now: number,
): Promise<{ state: S; appended: Appended<E, S>[] }> {
  const { decider } = aggregate;
  const stream = aggregate.stream(id);
  const appended: Appended<E, S>[] = [];
  let state = loaded.state;
  for (const event of decider.decide(command, loaded.state)) {
    state = decider.evolve(state, event);
    appended.push({ event, eventId: newEventId(now), after: state });
  }
  const last = await appendToStream(tx, stream, loaded.version, appended);
  let version = last - appended.length;
  for (const { event } of appended) await project(tx, event, ++version);
  for (const entry of appended) {
    for (const published of aggregate.published(codec, entry, now, currentActor()))
      await enqueueOutbox(tx, stream, published);
  }
  return { state, appended };
}
