import { pitrEnable, review, VERSION } from '../index.js';
import { CONNECTION_FLAGS, connectionFrom, verb } from './command.js';
import { CliError, EXIT } from './usage-errors.js';
import { printReview } from './review.js';

const HELP = `pgharden pitr enable — WAL archiving to pgBackRest, as a reviewed, reversible plan

Usage: pgharden pitr enable --repo DIR [--retention-full N] [--rpo SECONDS] [--restart] [--yes] [--out plans/NAME]
                            [--stanza NAME] [--config FILE] [--log-path DIR] [--dsn URL | --cluster V/N] [--json]
       pgharden pitr enable --repo s3://BUCKET/PATH --s3-endpoint HOST[:PORT] --s3-region REGION
                            [--s3-uri-style host|path] [--s3-ca-file FILE] [--repo DIR] [--retention-diff N]
                            [--retention-archive N] ...   (keys from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)

Makes a plan like the hardening plan (saved in plans/NAME, signed, reviewed now; apply it with
pgharden apply plans/NAME, undo it with pgharden rollback plans/NAME):
  preflight   the plan lock; postgresql.auto.conf (and an existing pgBackRest file) copied into the plan
  pgbackrest  the repository DIR (owner: the server's OS user, mode 0750); the configuration FILE
              (default /etc/pgbackrest/conf.d/STANZA.conf) with every option in the stanza's section:
              repo1-path, repo1-retention-full (--retention-full, default 2), pg1-path/port/socket-path.
              Mode 0640 root:<server group> when run as root (the server reads it and cannot redirect
              its WAL), else 0600 owned by the server's OS user
  archiving   ALTER SYSTEM SET archive_mode = on (unless already archiving), archive_command =
              'pgbackrest --config=FILE --stanza=STANZA archive-push %p', wal_level = replica when it
              is minimal, archive_timeout = SECONDS with --rpo (the RPO target: a quiet server's WAL
              still reaches the repository within it; pitr drill reports the bound against it); reload
  restart     archive_mode and wal_level take effect only at a server start. With --restart, a step
              of its own restarts the server (pg_ctlcluster V N restart, or pg_ctl restart as the
              server's OS user). Without it, apply stops here and prints the restart line; restart
              the server yourself and run pgharden apply plans/NAME again to continue
  prove       pgbackrest stanza-create, pgbackrest check, then a write and pg_switch_wal(): the closed
              segment must appear in the repository
Off this host: --repo s3://BUCKET/PATH is repo1 (repo1-type=s3, the bucket must exist), a
local --repo DIR given too is repo2. The keys are read from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY now and written, with a generated aes-256-cbc passphrase (repo1-cipher-type,
on for every object store), into FILE's sibling STANZA.secrets (mode 0600, written when the plan is
made) and by apply into FILE (0640 root:<server group>): never into the plan, the output or any
argv. KEEP A COPY OF THE PASSPHRASE ELSEWHERE: without it no backup can be read. Missing keys or
flags, or a bad endpoint: exit 2, nothing changed. Rollback removes both files and never deletes
an object in the bucket. --retention-diff N and --retention-archive N set repoN-retention-diff/-archive.
The stanza is Debian's cluster name (15/main → 15-main), else pg<major>-<port>; --stanza overrides.
An archive_command that pgharden did not write is refused (exit 3): pgharden does not replace
another archiving set-up. Rollback puts postgresql.auto.conf back byte for byte, removes the
configuration file, and restarts the server when the plan did (archive_mode back to off); a
repository the plan created is removed while it holds no backup (one with a backup is kept), the
runbook is marked no longer valid and the cluster's metrics samples and drill history removed.
The installed pgBackRest must read the server's major (16: 2.46, 17: 2.53.1, 18: 2.55.0), and an
archive_command that already archives with pgBackRest is never overwritten: both refused (exit 3).
--yes applies the plan right after making it (as pgharden apply plans/NAME --yes).
pitr enable never takes over what it did not create. Each path (--repo, --config, --log-path) must
be absolute, without "..", quotes or line breaks, and --stanza a plain name (exit 2). Refused
(exit 3, every reason listed, nothing changed): a system directory (/, /etc, /var/lib, a home…),
the data directory or the server's configuration directory and files, an existing --repo that is
not empty or not the server OS user's (prepare one: install -d -o postgres -g postgres -m 0750 DIR),
an existing --config pgharden did not write, and a log directory the server OS user cannot write.

Exit codes: 0 plan made (and applied, with --yes); 1 apply stopped (e.g. waiting for the restart);
2 usage or connection error; 3 refused (a foreign archive_command, a path above, a pgBackRest too old
for the major, drift).

Examples:
  sudo pgharden pitr enable --cluster 15/main --repo /var/lib/pgbackrest --retention-full 2 --out plans/pitr
  sudo pgharden review plans/pitr && sudo pgharden apply plans/pitr
  sudo pgharden pitr enable --repo /var/lib/pgbackrest --restart --yes   # in a maintenance window
`;

export const command = verb({
  name: 'pitr enable',
  help: HELP,
  flags: {
    repo: { type: 'string', multiple: true },
    's3-endpoint': { type: 'string' },
    's3-region': { type: 'string' },
    's3-uri-style': { type: 'string' },
    's3-ca-file': { type: 'string' },
    'retention-full': { type: 'string' },
    'retention-diff': { type: 'string' },
    'retention-archive': { type: 'string' },
    rpo: { type: 'string' },
    restart: { type: 'boolean' },
    yes: { type: 'boolean' },
    out: { type: 'string' },
    stanza: { type: 'string' },
    config: { type: 'string' },
    'log-path': { type: 'string' },
    ...CONNECTION_FLAGS,
    json: { type: 'boolean' },
  },
  async run({ values, positionals, o }) {
    if (!values.repo?.length || positionals.length)
      throw new CliError(
        'pitr enable needs --repo DIR (or --repo s3://BUCKET/PATH) and no positional arguments',
        EXIT.usage,
        'pgharden pitr enable --help',
      );
    const retention = values['retention-full'];
    for (const flag of ['retention-full', 'retention-diff', 'retention-archive'] as const) {
      const v = values[flag];
      if (v !== undefined && !/^\d+$/.test(v))
        throw new CliError(`--${flag} takes a whole number, not "${v}"`, EXIT.usage, 'pgharden pitr enable --help');
    }
    if (values.rpo !== undefined && !/^\d+$/.test(values.rpo))
      throw new CliError(`--rpo takes whole seconds, not "${values.rpo}"`, EXIT.usage, 'pgharden pitr enable --help');
    const connection = connectionFrom(values);
    const { dir } = await pitrEnable({
      connection,
      repos: values.repo,
      s3: {
        s3Endpoint: values['s3-endpoint'],
        s3Region: values['s3-region'],
        s3UriStyle: values['s3-uri-style'],
        s3CaFile: values['s3-ca-file'],
      },
      ...(retention === undefined ? {} : { retentionFull: Number(retention) }),
      ...(values['retention-diff'] === undefined ? {} : { retentionDiff: Number(values['retention-diff']) }),
      ...(values['retention-archive'] === undefined ? {} : { retentionArchive: Number(values['retention-archive']) }),
      ...(values.rpo === undefined ? {} : { rpoSeconds: Number(values.rpo) }),
      restart: Boolean(values.restart),
      ...(values.stanza ? { stanza: values.stanza } : {}),
      ...(values.config ? { configFile: values.config } : {}),
      ...(values['log-path'] ? { logPath: values['log-path'] } : {}),
      out: values.out ?? `plans/pitr-${new Date().toISOString().slice(0, 10)}`,
      version: VERSION,
      now: new Date(),
    });
    // --json --yes: stdout carries apply's one JSON document only.
    if (!(values.json && values.yes)) await printReview(await review(dir, connection), Boolean(values.json), o);
    if (!values.yes) {
      (values.json ? o.err : o.out)(`Plan saved in ${dir}. Apply it with: pgharden apply ${dir}`);
      return EXIT.ok;
    }
    const { command: apply } = await import('./apply.js');
    return apply.run([dir, '--yes', ...(values.json ? ['--json'] : [])], o);
  },
});
