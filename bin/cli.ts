// `sipvault` command-line interface: one small function per command, all sharing config loading.
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { runStart } from './commands/start.js';
import { runRecorder, runPortal, runSnmp } from './commands/components.js';
import { runUser } from './commands/user.js';
import { runStatus } from './commands/status.js';
import { runStorage } from './commands/storage.js';

const USAGE = `usage: sipvault <command> [options]

  start [--config F]          run every component (single box, development)
  recorder --config F         run the SIPREC recorder (for systemd)
  portal --config F           run the web portal and API (for systemd)
  snmp --config F             run the SNMP agent and OVOC traps (for systemd)
  config check F              validate a configuration file
  user add NAME [--role R] [--extensions 100,101] [--config F]
  user passwd NAME [--config F]
  user list [--config F]      (passwords are read from stdin, or prompted for on a terminal)
  status [--config F]         active calls, alarms, storage
  storage test [--config F]   write, read back and delete a test object in the storage target

The config file is --config F, else $SIPVAULT_CONFIG, else the built-in defaults.`;

export interface CommandContext {
  config: Config;
  configPath: string | undefined;
  args: string[];
  values: Record<string, string | boolean | undefined>;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        role: { type: 'string' },
        extensions: { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`sipvault ${command}: ${(err as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;

  if (command === 'config') {
    const [sub, file] = positionals;
    if (sub !== 'check' || !file) {
      console.error('usage: sipvault config check FILE');
      return 2;
    }
    try {
      loadConfig(file);
      console.log(`${file}: configuration is valid`);
      return 0;
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        return 1;
      }
      throw err;
    }
  }

  let config: Config;
  try {
    config = loadConfig(values.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const ctx: CommandContext = { config, configPath: values.config ?? process.env.SIPVAULT_CONFIG, args: positionals, values };
  switch (command) {
    case 'start':
      return runStart(ctx);
    case 'recorder':
      return runRecorder(ctx);
    case 'portal':
      return runPortal(ctx);
    case 'snmp':
      return runSnmp(ctx);
    case 'user':
      return runUser(ctx);
    case 'status':
      return runStatus(ctx);
    case 'storage':
      return runStorage(ctx);
    default:
      console.error(`sipvault: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
