/**
 * One agent per journal directory: two processes appending to, compacting and checkpointing the same
 * segments would corrupt each other's bookkeeping. A lock file created with O_EXCL holds the owner's
 * host and pid; a lock left by a process that is gone (same host, pid not running) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../contracts/index.js';

export interface JournalLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of `dir` (created if missing).
 * @throws ConfigError naming `agent.journal_dir` when another live agent holds it.
 */
export function lockJournalDir(dir: string): JournalLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'LOCK');
  const me = `${hostname()} ${process.pid}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, me);
      closeSync(fd);
      return {
        release() {
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = '';
      try {
        owner = readFileSync(file, 'utf8').trim();
      } catch {
        // vanished between open and read: try again
      }
      const [host, pidText] = owner.split(' ');
      const pid = Number(pidText);
      const stale = owner === '' || (host === hostname() && Number.isInteger(pid) && !alive(pid));
      if (!stale) {
        throw new ConfigError(`the agent journal ${dir} is in use by another agent (${owner}); give each agent its own agent.journal_dir`, [
          { path: 'agent.journal_dir', message: `in use by ${owner}` },
        ]);
      }
      rmSync(file, { force: true });
    }
  }
  throw new ConfigError(`cannot lock the agent journal ${dir}`, [{ path: 'agent.journal_dir', message: 'lock file could not be created' }]);
}
