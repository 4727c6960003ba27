// Preloaded into the appliance's processes by `setup-rate --cpu-prof DIR` (NODE_OPTIONS=--import
// this file; Node refuses --cpu-prof itself in NODE_OPTIONS). In the `recorder` process only, it
// runs the V8 sampling profiler from start to exit and writes DIR/recorder-<pid>.cpuprofile.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SIPVAULT_BENCH_CPU_PROF_DIR;
if (dir && process.argv[2] === 'recorder') {
  const session = new Session();
  session.connect();
  // The in-process inspector session answers synchronously, so the profile can be taken in 'exit'.
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(dir, `recorder-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
