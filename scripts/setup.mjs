// Installs what is missing, so `npm start` and `npm test` work on a fresh Debian 12 machine:
// npm dependencies, Debian packages (when root with apt), then the TypeScript build.
// Usage: node scripts/setup.mjs [--for-tests]
import { existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url).pathname;
const forTests = process.argv.includes('--for-tests');

// Debian packages by purpose. Runtime: ffmpeg (MP3 after each call; an npm-shipped build is the
// fallback). Tests: SIPp (Debian's sip-tester) for the SIP scenarios, rtpengine for relay mode
// (in production the VM image installs rtpengine and systemd runs it), Chromium for the web UI
// browser tests (driven headless by playwright-core).
const DEBIAN_RUNTIME = ['ffmpeg'];
const DEBIAN_TESTS = ['sip-tester', 'rtpengine-daemon', 'snmp', 'snmptrapd', 'chromium', 'systemd', 'nftables', 'packer', 'shellcheck'];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`setup: "${cmd} ${args.join(' ')}" failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function npmDependencies() {
  const lock = join(root, 'package-lock.json');
  const marker = join(root, 'node_modules/.package-lock.json');
  const stale = !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs + 1000);
  if (stale) {
    console.log('setup: installing npm dependencies');
    run('npm', [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
  }
  // Native addons have no prebuilt binary reachable here: make sure each compiled one loads.
  const require = createRequire(join(root, 'package.json'));
  const addons = {
    'better-sqlite3': (m) => new m(':memory:').close(),
    '@discordjs/opus': (m) => new m.OpusEncoder(48000, 1),
  };
  for (const [name, smoke] of Object.entries(addons)) {
    try {
      smoke(require(name));
    } catch (err) {
      console.log(`setup: rebuilding ${name} (${err.message.split('\n')[0]})`);
      run('npm', ['rebuild', name]);
    }
  }
}

function debianPackages(wanted) {
  const missing = wanted.filter((p) => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout?.includes('install ok installed') !== true);
  if (missing.length === 0) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    console.warn(`setup: Debian packages missing: ${missing.join(' ')} (run as root with apt, or: sudo apt-get install ${missing.join(' ')})`);
    return;
  }
  console.log(`setup: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

npmDependencies();
debianPackages(forTests ? [...DEBIAN_RUNTIME, ...DEBIAN_TESTS] : DEBIAN_RUNTIME);
if (!forTests) run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
if (!forTests) run(process.execPath, [join(root, 'scripts/build-web.mjs')]);
