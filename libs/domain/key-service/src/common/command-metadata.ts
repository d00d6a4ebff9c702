/** Time comes in with every command: deciders never read the clock, so tests are deterministic. */
export interface CommandMetadata {
  now: number;
}

/** Compile-time proof that a `switch` handled every member of a union. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
