// `sipvault user add|passwd|list`: local portal accounts. Passwords never appear on the command
// line (they would land in shell history and the process list): stdin, or a prompt on a terminal.
import { createInterface } from 'node:readline';
import { Catalog } from '../../storage/catalog/index.js';
import type { Role } from '../../storage/catalog/types.js';
import type { CommandContext } from '../cli.js';

const ROLES: Role[] = ['admin', 'supervisor', 'user', 'auditor'];

async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Mute the echo of typed characters after the prompt is shown.
  const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  let muted = false;
  out._writeToOutput = (s: string) => {
    if (!muted) out.output.write(s);
  };
  return new Promise((resolve) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

export async function runUser(ctx: CommandContext): Promise<number> {
  const [sub, name] = ctx.args;
  const catalog = Catalog.open(ctx.config.dataDir);
  try {
    if (sub === 'list') {
      for (const u of catalog.users.list()) {
        console.log(`${u.username}\t${u.role}\t${u.extensions.join(',') || '-'}\t${u.createdAt}`);
      }
      return 0;
    }
    if ((sub === 'add' || sub === 'passwd') && name) {
      const role = (ctx.values.role as string | undefined) ?? 'user';
      if (!ROLES.includes(role as Role)) {
        console.error(`--role must be one of ${ROLES.join(', ')}`);
        return 2;
      }
      if (sub === 'add' && catalog.users.byUsername(name)) {
        console.error(`user "${name}" already exists (use: sipvault user passwd ${name})`);
        return 1;
      }
      if (sub === 'passwd' && !catalog.users.byUsername(name)) {
        console.error(`no user "${name}"`);
        return 1;
      }
      const password = await readPassword(`password for ${name}: `);
      try {
        if (sub === 'add') {
          const extensions = String(ctx.values.extensions ?? '').split(',').map((e) => e.trim()).filter(Boolean);
          const user = catalog.users.add({ username: name, password, role: role as Role, extensions });
          catalog.interactions.linkExtensions(user.extensions);
          console.log(`user ${user.username} added (role ${user.role}${extensions.length ? `, extensions ${extensions.join(',')}` : ''})`);
        } else {
          catalog.users.setPassword(name, password);
          console.log(`password of ${name} changed`);
        }
      } catch (err) {
        console.error(`sipvault user ${sub}: ${(err as Error).message}`);
        return 1;
      }
      return 0;
    }
    console.error('usage: sipvault user add NAME [--role R] [--extensions 100,101] | user passwd NAME | user list');
    return 2;
  } finally {
    catalog.close();
  }
}
