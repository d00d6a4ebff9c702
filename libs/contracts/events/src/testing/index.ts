/** Test data for the events, kept out of the runtime API: import from `@tollgate/events/testing` in tests only. */
export { sampleEvent } from './samples';
