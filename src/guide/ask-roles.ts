/**
 * The guide's role questions: one least-privilege role per consumer connected now (name,
 * template, databases), roles added by hand for consumers not connected, and for each
 * read-write role the tables it may only read, proposed from evidence (tableUsage) and confirmed
 * or edited by the DBA.
 */
import { tableUsage, type ConnectOptions, type Snapshot } from '../index.js';
import { paint, type Output } from '../render/output.js';
import { questions, type Prompter } from './questions.js';
import { suggestRoles } from './proposals.js';

/** A role as the spec will have it. */
export interface RoleAnswer {
  name: string;
  template: string;
  databases: string[];
  readOnlyTables: string[];
}

/** A consumer seen in pg_stat_activity that was given a role. */
export interface SeenConsumer {
  role: string;
  user: string;
  application: string;
}

const names = (v: string) => v.trim().split(/\s+/).filter(Boolean);

/** The read-only tables of a read-write role: the evidence's proposal, as the DBA confirms or edits it. */
async function askReadOnly(
  p: Prompter,
  o: Output,
  connection: ConnectOptions,
  role: string,
  user: string,
  databases: string[],
): Promise<string[]> {
  let proposals: Awaited<ReturnType<typeof tableUsage>>;
  try {
    proposals = await tableUsage({ connection, user, databases });
  } catch (err) {
    o.out(
      paint(
        o,
        'yellow',
        `No evidence about ${role}'s tables: ${(err as Error).message}. Every table stays writable; add readOnlyTables to the spec by hand.`,
      ),
    );
    return [];
  }
  const byTable = new Map(proposals.map((t) => [t.table, t]));
  if (byTable.size === 0) return [];
  return p.checkbox({
    message: `Tables ${role} may only read (checked: proposed read-only from the evidence about ${user}; space toggles)`,
    choices: [...byTable.values()].map((t) => ({
      value: t.table,
      name: `${t.table.padEnd(24)} ${t.access.padEnd(10)} ${t.evidence}: ${t.why}`,
      checked: t.access === 'read-only',
    })),
    required: false,
    pageSize: 20,
  });
}

/**
 * The databases offered for a role added by hand: the server's one application database (not
 * postgres or a template), else those of the role given just before, else none — the DBA names
 * them (least privilege: never every database by default, never postgres when it is not the one).
 */
export function handRoleDatabases(databases: readonly string[], before: readonly RoleAnswer[]): string {
  const own = databases.filter((d) => !['postgres', 'template0', 'template1'].includes(d));
  if (own.length === 1) return own[0]!;
  if (before.length) return before.at(-1)!.databases.join(' ');
  return own.length ? '' : 'postgres';
}

async function askRole(
  p: Prompter,
  o: Output,
  connection: ConnectOptions,
  existing: Set<string>,
  suggested: { name: string; template: string; database: string; user: string },
): Promise<RoleAnswer> {
  const name = (await p.input(questions.roleName(suggested.name, existing))).trim();
  existing.add(name);
  const template = await p.select(questions.template(suggested.template));
  const databases = names(await p.input(questions.databases(name, suggested.database)));
  const readOnlyTables =
    template === 'app-readwrite' ? await askReadOnly(p, o, connection, name, suggested.user, databases) : [];
  return { name, template, databases, readOnlyTables };
}

export async function askRoles(
  p: Prompter,
  o: Output,
  snapshot: Snapshot,
  connection: ConnectOptions,
): Promise<{ roles: RoleAnswer[]; seen: SeenConsumer[] }> {
  const existing = new Set(snapshot.roles.map((r) => r.name));
  const roles: RoleAnswer[] = [];
  const seen: SeenConsumer[] = [];
  for (const s of suggestRoles(snapshot)) {
    const c = s.consumer;
    if (
      !(await p.confirm({
        message: `${c.application || '(no application_name)'} connects as ${c.user} from ${c.clientAddress} to ${c.database}. Give it its own role?`,
        default: true,
      }))
    )
      continue;
    const role = await askRole(p, o, connection, existing, { ...s, user: c.user });
    roles.push(role);
    seen.push({ role: role.name, user: c.user, application: c.application });
  }
  while (await p.confirm(questions.moreRoles(roles.length === 0))) {
    const user = (await p.input(questions.oldUser(snapshot.connectedAs))).trim();
    roles.push(
      await askRole(p, o, connection, existing, {
        name: `${user.replace(/^pg_/, 'app_')}_app`.slice(0, 63),
        template: 'app-readwrite',
        database: handRoleDatabases(snapshot.databases ?? [], roles),
        user,
      }),
    );
  }
  if (roles.length === 0) o.out('No role was added.');
  return { roles, seen };
}
