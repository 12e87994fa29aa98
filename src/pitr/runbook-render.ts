/**
 * The disaster-recovery runbook as Markdown, from the facts alone (pure). Every command is this
 * cluster's own: its paths, stanza, configuration file and binaries; the scripts are meant to be
 * run as root (`runuser` gives the server's OS user where PostgreSQL or pgBackRest need it).
 */
import type { RunbookFacts } from './runbook-facts.js';

const seconds = (n: number | null) => (n === null ? 'not measured' : `${n.toFixed(1)} s`);
/** The server's configuration files outside its data directory, as a readable list; '' when none. */
function outside(f: RunbookFacts): string {
  const dir = f.dataDirectory.endsWith('/') ? f.dataDirectory : `${f.dataDirectory}/`;
  const files = [f.configFile, f.hbaFile].filter((p) => !p.startsWith(dir));
  return files.map((p) => `\`${p}\``).join(' and ');
}

/** `NAME="${NAME:-value}"`: a shell variable the environment may set. */
const variable = (name: string, value: string) => `${name}="\${${name}:-${value}}"`;
const sh = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

function drillLine(f: RunbookFacts): string {
  const d = f.lastDrill;
  if (!d) return 'No point-in-time drill has run yet: `pgharden pitr drill --latest`.';
  const passed = f.lastPassedDrill;
  return [
    `Last drill: ${d.at}, ${d.ok ? 'passed' : '**failed**'} (target ${d.target || 'none'}); RTO ${seconds(d.rtoSeconds)}, RPO ${seconds(d.rpoSeconds)}.`,
    passed && passed !== d
      ? `Last passed drill: ${passed.at}; RTO ${seconds(passed.rtoSeconds)}, RPO ${seconds(passed.rpoSeconds)}.`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function startStop(f: RunbookFacts, verb: 'start' | 'stop'): string {
  if (f.debianCluster) return `pg_ctlcluster ${f.debianCluster.replace('/', ' ')} ${verb}`;
  return `runuser -u ${f.osUser} -- ${f.bindir}/pg_ctl ${verb} -D ${sh(f.dataDirectory)}${verb === 'start' ? ` -l ${sh(`${f.dataDirectory}/startup.log`)}` : ' -m fast'}`;
}

/** The accidental-deletion script; TARGET, DB, TABLE, SIDE and PORT may come from the environment. */
export function sideRestoreScript(f: RunbookFacts): string {
  const a = f.archive!;
  const br = `pgbackrest --config=${a.configFile} --stanza=${a.stanza}`;
  return [
    '#!/bin/sh',
    '# Run as root. Set the first three to the accident: the time just before it, the database and table.',
    variable('TARGET', '2000-01-01 00:00:00+00'),
    variable('DB', 'postgres'),
    variable('TABLE', 'public.my_table'),
    variable('SIDE', '/var/tmp/pgharden-side'),
    variable('PORT', '5499'),
    'set -eu',
    `pg() { runuser -u ${f.osUser} -- "$@"; }`,
    `install -d -o ${f.osUser} -m 0700 "$SIDE"`,
    '# 0. The WAL of the accident must be in the repository: check switches WAL and waits for it.',
    `pg ${br} check`,
    '# 1. The cluster as of TARGET, into the side directory (the live server is not touched).',
    `pg ${br} restore --pg1-path="$SIDE/data" --type=time --target="$TARGET" --target-action=promote --archive-mode=off --tablespace-map-all="$SIDE/tablespaces"`,
    `printf 'local all all peer\\n' > "$SIDE/pg_hba.conf"; : > "$SIDE/pg_ident.conf"; : > "$SIDE/side.conf"`,
    `chown ${f.osUser} "$SIDE/pg_hba.conf" "$SIDE/pg_ident.conf" "$SIDE/side.conf"`,
    '# 2. Started on a socket in the side directory only, archiving off, so it never writes into the repository.',
    `pg ${f.bindir}/pg_ctl start -w -D "$SIDE/data" -l "$SIDE/server.log" -o "-c config_file=$SIDE/side.conf -c hba_file=$SIDE/pg_hba.conf -c ident_file=$SIDE/pg_ident.conf -c listen_addresses='' -c port=$PORT -c unix_socket_directories=$SIDE -c archive_mode=off"`,
    `until pg ${f.bindir}/psql -h "$SIDE" -p "$PORT" -d postgres -Atc 'SELECT NOT pg_is_in_recovery()' 2>/dev/null | grep -q t; do`,
    `  pg ${f.bindir}/pg_ctl status -D "$SIDE/data" >/dev/null || { echo "recovery stopped: see $SIDE/server.log" >&2; exit 1; }`,
    '  sleep 1',
    'done',
    '# 3. Look before you copy: pg psql -h "$SIDE" -p "$PORT" -d "$DB". Then the table\'s rows go into',
    '#    a staging table in the live database, and the rows missing there are put back.',
    'STAGE="pgharden_recovered_$(date +%Y%m%d%H%M%S)"',
    `pg ${f.bindir}/psql -h ${sh(f.socketDir)} -p ${f.port} -d "$DB" -v ON_ERROR_STOP=1 -c "CREATE TABLE $STAGE (LIKE $TABLE)"`,
    `pg ${f.bindir}/psql -h "$SIDE" -p "$PORT" -d "$DB" -v ON_ERROR_STOP=1 -c "\\copy (SELECT * FROM $TABLE) TO STDOUT" |`,
    `  pg ${f.bindir}/psql -h ${sh(f.socketDir)} -p ${f.port} -d "$DB" -v ON_ERROR_STOP=1 -c "\\copy $STAGE FROM STDIN"`,
    '# Needs a primary key or unique constraint on TABLE; without one, compare the staging table by hand.',
    `pg ${f.bindir}/psql -h ${sh(f.socketDir)} -p ${f.port} -d "$DB" -v ON_ERROR_STOP=1 -c "INSERT INTO $TABLE SELECT * FROM $STAGE ON CONFLICT DO NOTHING"`,
    '# 4. Done: the side copy goes (drop the staging table once the rows are checked).',
    `pg ${f.bindir}/pg_ctl stop -D "$SIDE/data" -m fast`,
    'rm -rf "$SIDE"',
  ].join('\n');
}

export function renderRunbook(f: RunbookFacts): string {
  const a = f.archive;
  const br = a ? `runuser -u ${f.osUser} -- pgbackrest --config=${a.configFile} --stanza=${a.stanza}` : '';
  const newest = a?.sets.at(-1);
  const lines = [
    `# Disaster-recovery runbook: ${f.debianCluster ? `cluster ${f.debianCluster}` : f.dataDirectory}`,
    '',
    `Generated by pgharden at ${f.at} from the live server; regenerated after each \`pgharden pitr drill\`. Commands run as root.`,
    '',
    '## This cluster',
    '',
    `- Server: ${f.version}`,
    `- Binaries: \`${f.bindir}\`; runs as OS user \`${f.osUser}\``,
    `- Data directory: \`${f.dataDirectory}\``,
    `- Configuration: \`${f.configFile}\`, \`${f.hbaFile}\``,
    `- Port ${f.port}, socket directory \`${f.socketDir}\`${f.debianCluster ? `; Debian cluster \`${f.debianCluster}\`` : ''}`,
    a
      ? `- pgBackRest: stanza \`${a.stanza}\`, configuration \`${a.configFile}\`, repository \`${a.repository ?? 'unknown'}\`; ${a.sets.length} backup set(s)${newest ? `, newest ${newest.label} (${newest.type}, finished ${newest.stop.toISOString()})` : ''}`
      : '- pgBackRest: **not set up by pgharden** — no point-in-time recovery. Set it up: `pgharden pitr enable --repo DIR --restart`, then `pgharden pitr backup`.',
    `- Last verified dump: ${f.lastDump ? `${f.lastDump.at} in \`${f.lastDump.dir}\` (${f.lastDump.verified ? 'verified' : 'not verified'}, ${f.lastDump.ok ? 'ok' : 'failed'}; ${f.lastDump.databases.join(', ')})` : 'none found (`pgharden backup --out DIR --verify`)'}`,
    `- ${drillLine(f)}`,
    '',
  ];
  if (a) {
    lines.push(
      '## Lost server',
      '',
      `On a new machine: install PostgreSQL ${f.major} and pgBackRest, put back \`${a.configFile}\` and access to the repository, then:`,
      '',
      // pgBackRest copies the data directory; configuration kept outside it (Debian's /etc) is not in the backup.
      ...(outside(f)
        ? [
            `The backup holds the data directory only: ${outside(f)} live outside it. Keep copies of them off this machine (configuration management, the plan directories' backup/) and put them back before the first start.`,
            '',
          ]
        : []),
      '```sh',
      ...(f.debianCluster
        ? [`pg_createcluster ${f.debianCluster.replace('/', ' ')} && rm -rf ${sh(f.dataDirectory)}`]
        : []),
      `install -d -o ${f.osUser} -m 0700 ${sh(f.dataDirectory)}`,
      `${br} restore --pg1-path=${sh(f.dataDirectory)}`,
      startStop(f, 'start'),
      '```',
      '',
      '## Corrupted data directory',
      '',
      '```sh',
      startStop(f, 'stop'),
      `mv ${sh(f.dataDirectory)} ${sh(f.dataDirectory)}.broken-$(date +%Y%m%d%H%M)`,
      `install -d -o ${f.osUser} -m 0700 ${sh(f.dataDirectory)}`,
      `${br} restore`,
      startStop(f, 'start'),
      '```',
      '',
      '## Accidental deletion',
      '',
      'Recover to just before the accident into a side directory first, take the rows from there, and leave the live server running:',
      '',
      '```sh',
      sideRestoreScript(f),
      '```',
      '',
    );
  }
  lines.push(
    '## Failed hardening',
    '',
    f.plan
      ? `The newest plan is \`${f.plan.name}\` (${f.plan.createdAt}). Put every file back and undo its SQL:\n\n\`\`\`sh\npgharden rollback ${sh(f.plan.dir)}\n# without pgharden or a database login:\nsh ${sh(`${f.plan.dir}/rollback.sh`)}\n\`\`\``
      : "No hardening plan was found here (`plans/`); a plan's rollback is `pgharden rollback plans/NAME`.",
    '',
    '## After recovery',
    '',
    `- [ ] The server accepts connections and \`SELECT pg_is_in_recovery()\` is false`,
    '- [ ] Applications reconnect (`SELECT application_name, usename FROM pg_stat_activity`)',
    ...(a
      ? [
          `- [ ] Archiving works: \`${br} check\`, and \`failed_count\` in \`pg_stat_archiver\` does not grow`,
          `- [ ] A new full backup (recovery began a new timeline): \`pgharden pitr backup --type full\``,
          '- [ ] A drill proves it: `pgharden pitr drill --latest`',
        ]
      : []),
    '- [ ] `pgharden audit` shows no new findings',
    '- [ ] This runbook regenerated: `pgharden runbook --out FILE`',
    '',
  );
  return lines.join('\n');
}
