/**
 * The disaster-recovery runbook as Markdown, from the facts alone (pure). Every command is this
 * cluster's own: its paths, stanza, configuration file and binaries; the scripts are meant to be
 * run as root (`runuser` gives the server's OS user where PostgreSQL or pgBackRest need it).
 */
import { targetArgs } from './archive-command.js';
import type { RunbookFacts } from './runbook-facts.js';

const seconds = (n: number | null) => (n === null ? 'not measured' : `${n.toFixed(1)} s`);
/** The server's configuration files outside its data directory, as a readable list; '' when none. */
function outside(f: RunbookFacts): string {
  const dir = f.dataDirectory.endsWith('/') ? f.dataDirectory : `${f.dataDirectory}/`;
  const files = [f.configFile, f.hbaFile].filter((p) => !p.startsWith(dir));
  return files.map((p) => `\`${p}\``).join(' and ');
}

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

export function renderRunbook(f: RunbookFacts): string {
  const a = f.archive;
  const br = a ? `runuser -u ${f.osUser} -- pgbackrest ${targetArgs(a).join(' ')}` : '';
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
        ? [
            // On the same host the configuration may still be there (pg_createcluster would refuse);
            // on a new one it picks the next free port unless told: the cluster keeps its own.
            `[ -e ${sh(f.configFile)} ] || pg_createcluster -p ${f.port} ${f.debianCluster.replace('/', ' ')}`,
            `# Put back your copies of ${outside(f) || 'the configuration'} now, before the first start.`,
            `${startStop(f, 'stop')} 2>/dev/null || true`,
            `rm -rf ${sh(f.dataDirectory)}`,
          ]
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
