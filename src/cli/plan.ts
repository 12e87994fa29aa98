import { basename, extname, join } from 'node:path';
import { CONNECTION_FLAGS, connectionFrom, verb } from './command.js';
import {
  checkPlan,
  parseSpec,
  plan as makePlan,
  tlsPlan,
  renewCertificatePlan,
  readCapped,
  review as reviewPlan,
  rotate,
  UnreadableFileError,
  VERSION,
} from '../index.js';
import { CliError, EXIT } from './usage-errors.js';
import { paint, type Output } from '../render/output.js';
import type { ConnectOptions, Plan } from '../index.js';
import { printReview, reviewJson } from './review.js';

const HELP = `pgharden plan — the ordered hardening plan, saved, bound to its cluster, and reviewed

Usage: pgharden plan --spec harden.yaml [--out plans/NAME] [--dsn URL | --cluster VERSION/NAME] [--json] [--skip-backup]
       pgharden plan --spec harden.yaml --check [--out plans/NAME] [--json]
       pgharden plan --spec harden.yaml --rotate ROLE [--rotate ROLE...] | --rotate-all [--out plans/NAME]
       pgharden plan --spec harden.yaml --tls [--out plans/NAME]
       pgharden plan --spec harden.yaml --renew-certificate [--from plans/NAME] [--out plans/NAME]

Reads the spec (target, trusted ranges, roles from templates, consumers and their files),
audits the live cluster read-only, and writes plans/NAME/ (0700):
  plan.json    the steps of every stage (preflight, roles, canary, consumers, flip, verify),
               canonical JSON whose id is its sha256; no password in it
  secrets      the new roles' generated passwords and SCRAM verifiers (0600)
  rollback.sh  the rollback that needs no pgharden: restore files, signal the postmaster
then prints the review (see pgharden review --help). Nothing on the server changes.
The plan's first real step is a verified backup: pg_dumpall --globals-only and pg_dump -Fc of
every database the plan touches, each restored into a scratch database and compared table by
table with the live rows as of the dump's snapshot. It needs pg_dump/pg_restore of the server's
major or newer; without them plan refuses and names the package. --skip-backup leaves it out,
with a loud warning recorded in the plan and the report.
Run pgharden on the server's host, as root or the server's OS user: it reads pg_hba.conf.

Spec (YAML or JSON):
  target:   { dsn: postgres://postgres@/postgres?host=/var/run/postgresql, dataDir: /var/lib/postgresql/15/main }
  network:  { trustedRanges: [10.8.0.0/24], superuser: local-only, listenAddresses: "10.8.0.1" }
  roles:    [{ name: agents_app, template: app-readwrite, databases: [workspace], readOnlyTables: [agents_kill_switch] }]
  consumers: [{ name: agents, file: /srv/agents/.env, key: DATABASE_URL, role: agents_app,
               reload: [systemctl, reload, agents], healthCheck: [curl, -f, http://localhost:8080/health] }]
Templates: app-readwrite, readonly, migrator (templates/roles/); add your own with templates: DIR.

Rotation: --rotate ROLE (repeatable) or --rotate-all makes a plan that gives the role a new
password with its consumers live: a role holds one password, so the new one goes to the other
login of a pair (ROLE and ROLE_alt, a member of ROLE with its privileges): that login gets the new
verifier, each consumer file moves to it and its reload command runs, its sessions on the old
login drain, then the old login gets NOLOGIN and no password, and verify proves the server refuses
the old password and accepts the new one. The next rotation goes back. Rollback restores the files
and the old password. After hardening, reach the server over its socket (--cluster, or --dsn
"host=/var/run/postgresql"): superuser TCP logins are refused. plan.json records which step sets
each password (no secret); the audit's password-age judges it against passwordMaxAgeDays.

--tls makes the TLS plan from the spec's tls section (mode verify-full or require): the server's
certificate (tls.certificate: generate makes a CA and a certificate for the names the consumers
dial, in plans/NAME/tls/, keys 0600) and ssl on by reload, proven by a TLS handshake; each consumer's
connection string gets sslmode, sslrootcert and channel_binding=require and logs in through libpq
as the file's owner; then pg_hba.conf requires TLS (hostssl, hostnossl reject); then the negative
tests (plain TCP refused; the consumers' strings refuse a listener with another certificate).
  tls: { mode: verify-full, minProtocol: TLSv1.2, certificate: generate }
--renew-certificate makes a plan that issues a new server certificate (tls.days) from the CA the
newest applied TLS plan under the plans directory generated (or the plan given with --from; its
CA key is read there, never copied or printed), puts it where ssl_cert_file and ssl_key_file
point, reloads, and proves the new fingerprint by a TLS handshake; consumers keep verifying the
same CA and log in again. Rollback puts the old certificate and key back and reloads.

Day two: the spec is the desired state. plan compares it with the live cluster and plans only
the difference: roles that exist are taken over as they are (their passwords kept; a role whose
table privileges differ from its template gets only REVOKE and GRANT; a sequence privilege, default
privilege or membership of its template that it lost gets only the GRANT or ALTER DEFAULT
PRIVILEGES that restores it), a trusted range gets only
its own pg_hba.conf lines, a consumer already on its role is left alone. A consumer cannot move
onto a role that exists already (pgharden never knows its password): rotate that role, or name a
new one. Logins consumers moved away from, and roles an earlier plan made that left the spec, are
retired (NOLOGIN, NOSUPERUSER) once their sessions are gone; keep: [ROLE] in the spec spares one.
No role is ever dropped. When nothing differs: "Nothing to do", exit 0, and no plan directory (no
secrets) is written; --json then prints {"schemaVersion": 1, "nothingToDo": true, ...}, and a plan
with steps carries "nothingToDo": false beside the review's fields.

--check is the dry run of plan itself: the same delta and the same review, computed in memory,
and nothing written anywhere (no plan directory, no secrets file, no temporary file; --out only
names where the plan would go). It says whether anything would change: --json prints the
review's fields with "check": true, "nothingToDo" and "changes" (the steps that change
something, by id and description), or {"schemaVersion": 1, "nothingToDo": true, "check": true, ...}.
Its exit codes are plan's. Ansible's check mode runs it.

Exit codes: 0 plan saved, or nothing to do; 2 spec, file or connection problem (every problem listed);
3 refused: the plan would be unsafe (e.g. the admin path would not survive the flip).

Examples:
  sudo pgharden plan --spec harden.yaml --out plans/office-vpn
  sudo pgharden plan --spec harden.yaml --check --json | jq '{nothingToDo, changes}'
  sudo pgharden plan --spec harden.yaml --rotate agents_app --cluster 15/main --out plans/rotate-agents
  sudo pgharden plan --spec harden.yaml --tls --out plans/office-vpn-tls
  pgharden plan --spec harden.json --dsn postgres://postgres@localhost/postgres --json
`;

export const command = verb({
  name: 'plan',
  help: HELP,
  flags: {
    spec: { type: 'string' },
    out: { type: 'string' },
    ...CONNECTION_FLAGS,
    json: { type: 'boolean' },
    'skip-backup': { type: 'boolean' },
    rotate: { type: 'string', multiple: true },
    'rotate-all': { type: 'boolean' },
    tls: { type: 'boolean' },
    'renew-certificate': { type: 'boolean' },
    from: { type: 'string' },
    check: { type: 'boolean' },
  },
  async run({ values, positionals, o }) {
    if (!values.spec) throw new CliError('plan needs --spec FILE (YAML or JSON)', EXIT.usage, 'pgharden plan --help');
    if (positionals.length)
      throw new CliError(
        `plan takes no positional arguments (got "${positionals[0]}")`,
        EXIT.usage,
        'pgharden plan --help',
      );
    let text: string;
    try {
      text = readCapped(values.spec).toString('utf8');
    } catch (err) {
      throw new CliError(
        `Cannot read the spec "${values.spec}" (${err instanceof UnreadableFileError ? err.reason : ((err as NodeJS.ErrnoException).code ?? (err as Error).message)})`,
        EXIT.usage,
        'pgharden plan --help shows the spec format',
      );
    }
    const now = new Date();
    const out =
      values.out ??
      join(
        'plans',
        `${basename(values.spec, extname(values.spec))}-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`,
      );
    const spec = await parseSpec(text, values.spec);
    // Flags first, then the spec's target, then the libpq environment.
    const flags = connectionFrom(values);
    const connection = Object.keys(flags).length ? flags : connectionFrom(spec.target);
    const rotating = values['rotate-all'] ? 'all' : values.rotate;
    if (values['rotate-all'] && values.rotate)
      throw new CliError('--rotate ROLE and --rotate-all exclude each other', EXIT.usage, 'pgharden plan --help');
    if (rotating && values.tls)
      throw new CliError(
        '--tls and --rotate make different plans: run them one after the other',
        EXIT.usage,
        'pgharden plan --help',
      );
    if ([rotating, values.tls, values['renew-certificate']].filter(Boolean).length > 1)
      throw new CliError(
        '--tls, --rotate and --renew-certificate make different plans: run them one after the other',
        EXIT.usage,
        'pgharden plan --help',
      );
    if (values.from && !values['renew-certificate'])
      throw new CliError('--from goes with --renew-certificate', EXIT.usage, 'pgharden plan --help');
    if (values.check && (rotating || values.tls || values['renew-certificate']))
      throw new CliError(
        '--check makes the dry run of the hardening plan only; --tls, --rotate and --renew-certificate have none yet',
        EXIT.usage,
        'pgharden plan --help',
      );
    // What every kind of plan is made from; the hardening plan (and its dry run) also take --skip-backup.
    const base = { spec, specFile: values.spec, out, connection, version: VERSION, now };
    const hardening = { ...base, ...(values['skip-backup'] ? { skipBackup: true } : {}) };
    if (values.check) return checkOnly(hardening, flags, Boolean(values.json), o);
    const { plan, dir } = values['renew-certificate']
      ? await renewCertificatePlan({ ...base, ...(values.from ? { from: values.from } : {}) })
      : rotating
        ? await rotate({ ...base, roles: rotating })
        : values.tls
          ? await tlsPlan(base)
          : await makePlan(hardening);
    if (!dir) {
      const cluster = plan.target.cluster ?? `${plan.binding.dataDirectory} (port ${plan.binding.port})`;
      o.err(`Nothing to do: ${cluster} matches the spec (${values.spec}). No plan was written.`);
      if (values.json)
        o.out(
          JSON.stringify(
            { schemaVersion: 1, nothingToDo: true, cluster, spec: values.spec, notices: plan.notices },
            null,
            2,
          ),
        );
      return EXIT.ok;
    }
    const review = await reviewPlan(dir, flags);
    if (!values.json) o.err(`Plan saved in ${review.dir} (plan.json, secrets 0600, rollback.sh).`);
    if (values['skip-backup'])
      o.err(
        paint(
          o,
          'red',
          'WARNING: --skip-backup: no verified backup will be taken before the change. This is recorded in the plan and the report.',
        ),
      );
    if (values.json) o.out(review.redact(JSON.stringify({ ...reviewJson(review), nothingToDo: false }, null, 2)));
    else await printReview(review, false, o);
    return review.drift.length ? EXIT.refused : EXIT.ok;
  },
});

/** The steps of a plan that change something (not the probes and gates around them). */
const changing = (steps: Plan['steps']) =>
  steps.filter((s) => s.kind !== 'probe' && s.kind !== 'gate' && s.stage !== 'preflight' && s.stage !== 'verify');

/** `plan --check`: the plan and its review in memory; nothing is written. */
async function checkOnly(
  options: Parameters<typeof checkPlan>[0],
  flags: ConnectOptions,
  json: boolean,
  o: Output,
): Promise<number> {
  const { plan, review } = await checkPlan(options, flags);
  if (!review) {
    const cluster = plan.target.cluster ?? `${plan.binding.dataDirectory} (port ${plan.binding.port})`;
    o.err(`Nothing to do: ${cluster} matches the spec (${options.specFile}). --check: nothing was written.`);
    if (json)
      o.out(
        JSON.stringify(
          { schemaVersion: 1, nothingToDo: true, check: true, cluster, spec: options.specFile, notices: plan.notices },
          null,
          2,
        ),
      );
    return EXIT.ok;
  }
  const changes = changing(plan.steps).map((s) => ({ id: s.id, description: s.description }));
  if (json) {
    // The rollback names a directory that --check did not make.
    const { rollback: _rollback, ...shown } = reviewJson(review) as Record<string, unknown>;
    o.out(review.redact(JSON.stringify({ ...shown, nothingToDo: false, check: true, changes }, null, 2)));
  } else {
    o.err(
      `--check: nothing was written. The plan would have ${plan.steps.length} steps, ${changes.length} of them changing something; save it with: pgharden plan --spec ${options.specFile} --out ${options.out}`,
    );
    await printReview(review, false, o);
  }
  return review.drift.length ? EXIT.refused : EXIT.ok;
}
