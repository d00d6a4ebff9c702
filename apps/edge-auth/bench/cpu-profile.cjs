// Preloaded (NODE_OPTIONS=--require) into an edge-auth under the bench when BENCH_EDGE_CPU_PROFILE
// names a directory: Node refuses --cpu-prof in NODE_OPTIONS, so the inspector's sampling profiler
// is started here, in the main thread and in every worker thread (the metering thread), and each
// thread's profile written when it exits (a worker's every 5 s) (open it in Chrome DevTools or speedscope).
const { isMainThread, threadId } = require('node:worker_threads');
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  const start = () => {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 200 });
    session.post('Profiler.start');
  };
  let slice = 0;
  const write = () =>
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const name = isMainThread
        ? `edge-${process.pid}`
        : `edge-${process.pid}-thread-${threadId}-${slice++}`;
      writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(result.profile));
    });
  start();
  process.once('exit', write);
  // A terminated worker never sees 'exit': it writes a profile of every 5 s instead.
  if (!isMainThread)
    setInterval(() => {
      write();
      start();
    }, 5_000).unref();
}
