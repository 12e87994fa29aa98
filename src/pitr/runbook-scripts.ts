/**
 * The runbook's recovery scripts (pure): lost server, corrupted data directory, accidental
 * deletion. Each is this cluster's own (paths, port, stanza, binaries), run as root with `set -eu`;
 * `runuser` gives the server's OS user where PostgreSQL or pgBackRest need it.
 */
import { targetArgs } from './archive-command.js';
import type { RunbookFacts } from './runbook-facts.js';

/** The server's configuration files outside its data directory, as a readable list; '' when none. */
export function outside(f: RunbookFacts): string {
  const dir = f.dataDirectory.endsWith('/') ? f.dataDirectory : `${f.dataDirectory}/`;
  const files = [f.configFile, f.hbaFile].filter((p) => !p.startsWith(dir));
  return files.map((p) => `\`${p}\``).join(' and ');
}

/** A word quoted for sh. */
export const sh = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** The server's start or stop command (pg_ctlcluster on Debian, pg_ctl as its OS user otherwise). */
export function startStop(f: RunbookFacts, verb: 'start' | 'stop'): string {
  if (f.debianCluster) return `pg_ctlcluster ${f.debianCluster.replace('/', ' ')} ${verb}`;
  return `runuser -u ${f.osUser} -- ${f.bindir}/pg_ctl ${verb} -D ${sh(f.dataDirectory)}${verb === 'start' ? ` -l ${sh(`${f.dataDirectory}/startup.log`)}` : ' -m fast'}`;
}

/** `: "${NAME:?why}"`: the script stops before anything runs when a required value is not given. */
const required = (name: string, why: string) => `: "\${${name}:?set ${name}: ${why}}"`;

/**
 * The accidental-deletion script: TARGET, DB, TABLE and PORT are required (no default can be
 * right), SIDE is a new directory. A trap stops the side server and removes its directory however
 * the script ends, a mistyped table included.
 */
export function sideRestoreScript(f: RunbookFacts): string {
  const a = f.archive!;
  const br = `pgbackrest ${targetArgs(a).join(' ')}`;
  const live = `pg ${f.bindir}/psql -h ${sh(f.socketDir)} -p ${f.port} -d "$DB" -v ON_ERROR_STOP=1`;
  return [
    '#!/bin/sh',
    '# Run as root, with the accident given in the environment, e.g.:',
    "#   TARGET='2026-11-30 10:14:00+00' DB=shop TABLE=public.orders PORT=5499 sh deletion.sh",
    required('TARGET', 'the time just before the accident, e.g. 2026-11-30 10:14:00+00'),
    required('DB', 'the database of the table'),
    required('TABLE', 'the table, schema-qualified, e.g. public.orders'),
    required('PORT', 'a free port for the side server, e.g. 5499 (ss -ltn shows the ones in use)'),
    'set -eu',
    `pg() { runuser -u ${f.osUser} -- "$@"; }`,
    '# SIDE: a new directory (default: a fresh one under /var/tmp); the script removes it at the end.',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    'if [ -z "${SIDE:-}" ]; then SIDE=$(mktemp -d /var/tmp/pgharden-side.XXXXXX); else',
    '  [ ! -e "$SIDE" ] || { echo "SIDE=$SIDE exists: give a directory that does not" >&2; exit 2; }; mkdir -m 0700 "$SIDE"; fi',
    `chown ${f.osUser} "$SIDE"; chmod 0700 "$SIDE"`,
    `cleanup() { pg ${f.bindir}/pg_ctl stop -D "$SIDE/data" -m immediate >/dev/null 2>&1 || true; rm -rf "$SIDE"; }`,
    "trap cleanup EXIT; trap 'exit 1' INT TERM HUP",
    '# 0. The WAL of the accident must be in the repository: check switches WAL and waits for it.',
    `pg ${br} check`,
    '# 1. The cluster as of TARGET, into the side directory (the live server is not touched).',
    `pg ${br} restore --pg1-path="$SIDE/data" --type=time --target="$TARGET" --target-action=promote --archive-mode=off --tablespace-map-all="$SIDE/tablespaces"`,
    `printf 'local all all peer\\n' > "$SIDE/pg_hba.conf"; : > "$SIDE/pg_ident.conf"; : > "$SIDE/side.conf"`,
    `chown ${f.osUser} "$SIDE/pg_hba.conf" "$SIDE/pg_ident.conf" "$SIDE/side.conf"`,
    '# 2. Started on a socket in the side directory only, archiving off, so it never writes into the repository.',
    `pg ${f.bindir}/pg_ctl start -w -D "$SIDE/data" -l "$SIDE/server.log" -o "-c config_file=$SIDE/side.conf -c hba_file=$SIDE/pg_hba.conf -c ident_file=$SIDE/pg_ident.conf -c listen_addresses='' -c port=$PORT -c unix_socket_directories=$SIDE -c archive_mode=off"`,
    `until pg ${f.bindir}/psql -h "$SIDE" -p "$PORT" -d postgres -Atc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null | grep -q t; do`,
    `  pg ${f.bindir}/pg_ctl status -D "$SIDE/data" >/dev/null || { cat "$SIDE/server.log" >&2; echo "recovery stopped (log above)" >&2; exit 1; }`,
    '  sleep 1',
    'done',
    "# 3. The table's rows as of TARGET go into a staging table in the live database (a mistyped",
    '#    TABLE stops here, before anything is written), and the rows missing there are put back.',
    'STAGE="pgharden_recovered_$(date +%Y%m%d%H%M%S)"',
    `${live} -c "CREATE TABLE $STAGE (LIKE $TABLE)"`,
    `pg ${f.bindir}/psql -h "$SIDE" -p "$PORT" -d "$DB" -v ON_ERROR_STOP=1 -c "\\copy (SELECT * FROM $TABLE) TO STDOUT" |`,
    `  ${live} -c "\\copy $STAGE FROM STDIN"`,
    '# DELETEd rows come back (needs a primary key or unique constraint on TABLE; without one, compare by hand).',
    `${live} -c "INSERT INTO $TABLE SELECT * FROM $STAGE ON CONFLICT DO NOTHING"`,
    '# UPDATEd rows do not: the live value wins. These rows differ from TARGET; restore them by hand if needed:',
    `${live} -c "SELECT count(*) AS rows_changed_since_target FROM (SELECT * FROM $STAGE EXCEPT SELECT * FROM $TABLE) x"`,
    'echo "staging table $STAGE kept in $DB: drop it once the rows are checked"',
    '# 4. The trap stops the side server and removes $SIDE.',
  ].join('\n');
}

/** Stops here unless nothing runs on the data directory any more (a crashed server's stale pid file is fine). */
function notRunning(f: RunbookFacts): string {
  return `if pg ${f.bindir}/pg_ctl status -D ${sh(f.dataDirectory)} >/dev/null 2>&1; then echo "a server still runs on ${f.dataDirectory}: stop it first" >&2; exit 1; fi`;
}

/** Starts the server and waits until it accepts connections on its own port with recovery finished. */
function startAndWait(f: RunbookFacts): string[] {
  const d = sh(f.dataDirectory);
  return [
    f.debianCluster
      ? startStop(f, 'start')
      : `pg ${f.bindir}/pg_ctl start -w -D ${d} -l ${sh(`${f.dataDirectory}/startup.log`)} -o "-p ${f.port}"`,
    `until pg ${f.bindir}/pg_controldata ${d} | grep -q 'in production'; do`,
    `  pg ${f.bindir}/pg_ctl status -D ${d} >/dev/null || { echo "the server stopped during recovery: see its log" >&2; exit 1; }`,
    '  sleep 1',
    'done',
    // Recovery may take hours; once it is over, the server must answer on its own socket and port soon.
    `n=0; until pg ${f.bindir}/pg_isready -q -h ${sh(f.socketDir)} -p ${f.port}; do`,
    `  n=$((n + 1)); [ $n -lt 120 ] || { echo "recovered, but nothing answers on ${f.socketDir} port ${f.port}: check port and unix_socket_directories (a restored configuration is the backup's: ALTER SYSTEM changes made after it are not in it)" >&2; exit 1; }`,
    '  sleep 1',
    'done',
    `echo "recovered: the server accepts connections on port ${f.port}"`,
  ];
}

/** The lost-server script: the cluster made again on its own port, restored from the repository. */
export function lostServerScript(f: RunbookFacts): string[] {
  const a = f.archive!;
  const d = sh(f.dataDirectory);
  return [
    'set -eu',
    `pg() { runuser -u ${f.osUser} -- "$@"; }`,
    ...(f.debianCluster
      ? [
          // On the same host the configuration may still be there (pg_createcluster would refuse);
          // on a new one it picks the next free port unless told: the cluster keeps its own.
          `[ -e ${sh(f.configFile)} ] || pg_createcluster -p ${f.port} ${f.debianCluster.replace('/', ' ')}`,
          `# Put back your copies of ${outside(f) || 'the configuration'} now, before the first start.`,
          `${startStop(f, 'stop')} 2>/dev/null || true`,
        ]
      : []),
    notRunning(f),
    '# Whatever the data directory holds (a fresh empty cluster, a remnant) is moved aside, not deleted.',
    `[ ! -e ${d} ] || mv ${d} ${d}.before-restore-$(date +%Y%m%d%H%M%S)`,
    `install -d -o ${f.osUser} -m 0700 ${d}`,
    `pg pgbackrest ${targetArgs(a).join(' ')} restore --pg1-path=${d}`,
    ...startAndWait(f),
  ];
}

/**
 * The corrupted-directory script. Before anything is restored over it: the broken directory is
 * moved aside (kept), the WAL its pg_wal holds that the archive has not confirmed (`.ready`, and
 * the newest segment, still being written) is copied to a salvage directory, and so is the
 * configuration kept inside the data directory. After the restore the configuration is put back
 * (pgBackRest's restore_command kept) and the salvaged WAL put into pg_wal, where recovery reads
 * it once the repository has no more: rows written after the last archived segment come back.
 */
export function corruptedDirectoryScript(f: RunbookFacts): string[] {
  const a = f.archive!;
  const d = sh(f.dataDirectory);
  const dir = f.dataDirectory.endsWith('/') ? f.dataDirectory : `${f.dataDirectory}/`;
  const inside = [f.configFile, f.hbaFile].filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length));
  const conf = [...inside, ...(f.debianCluster ? [] : ['pg_ident.conf']), 'postgresql.auto.conf'];
  return [
    'set -eu',
    `pg() { runuser -u ${f.osUser} -- "$@"; }`,
    'STAMP=$(date +%Y%m%d%H%M%S)',
    `BROKEN=${d}.broken-$STAMP`,
    `SALVAGE=${d}.salvage-$STAMP`,
    `${startStop(f, 'stop')} || true`,
    notRunning(f),
    ...(f.debianCluster
      ? [
          `# The configuration lives outside the data directory, in ${sh(f.configFile.replace(/\/[^/]*$/, ''))} (postgresql.conf, conf.d/, pg_hba.conf): it stays as it is.`,
          ...[f.configFile, f.hbaFile].map(
            (c) => `[ -e ${sh(c)} ] || { echo "${c} is missing: put back your copy first" >&2; exit 1; }`,
          ),
        ]
      : []),
    '# 1. The broken directory is moved aside, not deleted.',
    `mv ${d} "$BROKEN"`,
    '# 2. Salvaged before anything is restored: every WAL file the archive has not confirmed (no .done:',
    '#    the .ready ones and the newest, partly written) and the configuration kept in the data directory.',
    `install -d -o ${f.osUser} -m 0700 "$SALVAGE" "$SALVAGE/pg_wal" "$SALVAGE/conf"`,
    'for w in "$BROKEN"/pg_wal/*; do',
    '  if [ -f "$w" ] && [ ! -e "$BROKEN/pg_wal/archive_status/$(basename "$w").done" ]; then cp -p "$w" "$SALVAGE/pg_wal/"; fi',
    'done',
    `for c in ${conf.join(' ')}; do if [ -f "$BROKEN/$c" ]; then cp -p "$BROKEN/$c" "$SALVAGE/conf/"; fi; done`,
    'echo "salvaged to $SALVAGE:"; ls -l "$SALVAGE/pg_wal" "$SALVAGE/conf"',
    '# 3. The newest backup, restored into a new directory.',
    `install -d -o ${f.osUser} -m 0700 ${d}`,
    `pg pgbackrest ${targetArgs(a).join(' ')} restore --pg1-path=${d}`,
    "# 4. The configuration as it was at the failure, over the backup's copy (postgresql.auto.conf keeps",
    '#    the restore_command pgBackRest wrote). Compare them first if the damage may have reached them.',
    ...[...inside, ...(f.debianCluster ? [] : ['pg_ident.conf'])].map(
      (c) =>
        `if [ -f "$SALVAGE/conf/${c}" ]; then cp -p "$SALVAGE/conf/${c}" ${sh(`${f.dataDirectory}/${c}`)}; else echo "${c}: the backup's copy (none was salvaged)"; fi`,
    ),
    'if [ -f "$SALVAGE/conf/postgresql.auto.conf" ]; then',
    `  grep '^restore_command' ${sh(`${f.dataDirectory}/postgresql.auto.conf`)} > "$SALVAGE/restore_command"`,
    `  cat "$SALVAGE/conf/postgresql.auto.conf" "$SALVAGE/restore_command" > ${sh(`${f.dataDirectory}/postgresql.auto.conf`)}`,
    'fi',
    '# 5. The salvaged WAL into pg_wal: recovery replays it after the last segment the repository holds.',
    `for w in "$SALVAGE"/pg_wal/*; do if [ -f "$w" ]; then cp -p "$w" ${sh(`${f.dataDirectory}/pg_wal/`)}; fi; done`,
    ...startAndWait(f),
    'echo "kept: $BROKEN and $SALVAGE; remove them once a new full backup has run"',
  ];
}
