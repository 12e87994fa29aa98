/**
 * Running drift nightly: a systemd service + timer pair (Persistent=true, so a night the host was
 * off is caught up at boot), or a cron.d line where systemd is absent. Runs as root or as the
 * server's OS user: pgharden reaches the server the same way either way (DESIGN.md "Connection").
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.js';
import { InputError } from '../core/errors.js';

export interface DriftTimerOptions {
  /** The command that runs pgharden (its executable and script, absolute), then drift's own arguments. */
  command: string[];
  user: 'root' | 'postgres';
  /** Where the units go (default /etc/systemd/system). */
  unitDir?: string;
  /** The unit name without suffix (default pgharden-drift). */
  name?: string;
}

export interface DriftTimerFiles {
  service: { path: string; text: string };
  timer: { path: string; text: string };
  /** The same job as a /etc/cron.d line (03:17 every night). */
  cron: string;
  /** What to run once the units are in place. */
  enable: string;
}

/** systemd's quoting for ExecStart: each argument in double quotes when it needs them. */
const arg = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
const shArg = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);

/** The unit files and the cron line, as text. */
export function driftTimerFiles(o: DriftTimerOptions): DriftTimerFiles {
  if (o.command.some((a) => /[\n\r]/.test(a)))
    throw new InputError('an argument of the drift command holds a line break; it cannot go into a unit file');
  const name = o.name ?? 'pgharden-drift';
  const dir = o.unitDir ?? '/etc/systemd/system';
  const service = [
    '[Unit]',
    'Description=pgharden drift: the live PostgreSQL cluster against its hardened state',
    'After=postgresql.service',
    '',
    '[Service]',
    'Type=oneshot',
    `User=${o.user}`,
    // Exit 1 means drift was found: recorded in the metrics and the journal, not a failed unit.
    'SuccessExitStatus=1',
    `ExecStart=${o.command.map(arg).join(' ')}`,
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=Run ${name}.service nightly`,
    '',
    '[Timer]',
    'OnCalendar=*-*-* 03:17:00',
    'RandomizedDelaySec=15m',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return {
    service: { path: join(dir, `${name}.service`), text: service },
    timer: { path: join(dir, `${name}.timer`), text: timer },
    cron: `17 3 * * * ${o.user} ${o.command.map(shArg).join(' ')} >/dev/null 2>&1`,
    enable: `systemctl daemon-reload && systemctl enable --now ${name}.timer`,
  };
}

/** Writes the service and timer (mode 0644, atomically); returns what was written. */
export function installDriftTimer(o: DriftTimerOptions): DriftTimerFiles {
  const files = driftTimerFiles(o);
  mkdirSync(o.unitDir ?? '/etc/systemd/system', { recursive: true });
  for (const f of [files.service, files.timer]) writeFileAtomic(f.path, f.text, { mode: 0o644 });
  return files;
}
