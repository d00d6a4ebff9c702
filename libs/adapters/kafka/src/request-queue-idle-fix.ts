// kafkajs 2.2.4 (its last release) keeps a timer re-armed about every millisecond on every broker
// connection, idle or not: `scheduleCheckPendingRequests` schedules the next check even when no
// request waits, with a negative delay (tulios/kafkajs#1556; the fix proposed in #1667 was never
// released). Measured here: an idle edge-auth's request thread and metering thread each woke ~875
// times a second and spent ~40 ms of CPU per second on it, and under load it competed with requests.
//
// The queue needs a timer only while requests wait in it: a request is queued only by `push`, which
// schedules a check, and every freed in-flight slot (a response, a timeout) runs the check itself.
// So this schedules exactly as kafkajs does when something waits, and nothing otherwise.
import { createRequire } from 'node:module';

/** The class kafkajs' connections use: the same module instance, from Node's require cache. */
export const RequestQueue = createRequire(import.meta.url)(
  'kafkajs/src/network/requestQueue/index.js',
) as { prototype: Record<PropertyKey, unknown> };

/** kafkajs' own interval for re-checking waiting requests when not throttled. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueState {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

/** Whether the check is scheduled only while requests wait (exported for its test). */
export const REQUEST_QUEUE_IDLE_FIX = Symbol.for('tollgate.kafkajs.requestQueueIdleFix');

const prototype = RequestQueue.prototype;
if (typeof prototype.scheduleCheckPendingRequests !== 'function')
  throw new Error(
    "kafkajs' request queue has no scheduleCheckPendingRequests: this fix was written for kafkajs 2.2.4, check it against the installed version",
  );
if (!prototype[REQUEST_QUEUE_IDLE_FIX]) {
  prototype[REQUEST_QUEUE_IDLE_FIX] = true;
  prototype.scheduleCheckPendingRequests = function (this: RequestQueueState): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : CHECK_PENDING_REQUESTS_INTERVAL_MS,
    );
  };
}
