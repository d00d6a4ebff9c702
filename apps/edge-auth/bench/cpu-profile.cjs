// Preloaded (NODE_OPTIONS=--require) into an edge-auth under the bench when BENCH_EDGE_CPU_PROFILE
// names a directory: Node refuses --cpu-prof in NODE_OPTIONS, so the inspector's sampling profiler
// is started here and its profile written at exit (open it in Chrome DevTools or speedscope).
const { isMainThread } = require('node:worker_threads');
const inspector = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.env.CPU_PROFILE_DIR;
if (dir && isMainThread) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err)
        writeFileSync(join(dir, `edge-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
