/**
 * The hardening spec (harden.yaml or .json): the DBA's intent in a few lines. Validated with zod;
 * one error lists every problem and every unknown key, each with its path, never just the first.
 */
import { isMap, isNode, LineCounter, parse as parseYaml, parseDocument } from 'yaml';
import { closest } from '../core/did-you-mean.js';
import { z } from 'zod';
import { parseIp, parsePrefix } from '../conf/ip.js';
import { controlCharacter, nameProblems, type NameKind } from './names.js';
import { InputError } from '../core/errors.js';
import { TlsSchema } from './tls-spec.js';

const argv = z
  .array(z.string().min(1))
  .min(1, 'needs the program and its arguments, e.g. ["systemctl", "reload", "app"]');

const cidr = z
  .string()
  .refine(
    (v) => !v.includes('%'),
    'an IPv6 zone (%interface) has no place in a trusted range: pg_hba.conf matches client addresses, which carry no zone; write the range without it, e.g. fe80::/64',
  )
  .refine((v) => {
    const [addr, bits] = v.split('/');
    const ip = addr === undefined ? null : parseIp(addr);
    return ip !== null && bits !== undefined && parsePrefix(bits, ip.family) !== null;
  }, 'must be an address range in CIDR form, e.g. 10.8.0.0/24');

/** A role, database or schema name, checked as PostgreSQL and pg_hba.conf would take it. */
const name = (kind: NameKind) =>
  z.string().superRefine((v, ctx) => {
    for (const message of nameProblems(v, kind)) ctx.addIssue({ code: 'custom', message });
  });

/** TLS for the server and its consumers (off unless the spec says so): tls-spec.ts. */
const SpecSchema = z.strictObject({
  target: z
    .strictObject({
      /** How pgharden connects: any libpq connection string; the libpq environment when absent. */
      dsn: z.string().optional(),
      /** A Debian cluster, VERSION/NAME as pg_lsclusters shows it. */
      cluster: z
        .string()
        .regex(/^\d+(\.\d+)?\/[^/\s]+$/, 'must be VERSION/NAME as pg_lsclusters shows it, e.g. 15/main')
        .optional(),
      dataDir: z.string().optional(),
    })
    .default({}),
  network: z.strictObject({
    /** Where consumers connect from. */
    trustedRanges: z.array(cidr).min(1, 'needs at least one range consumers connect from'),
    /** Accept 0.0.0.0/0 or ::/0 as a trusted range: every address, said explicitly. */
    allowAnywhere: z.boolean().optional(),
    superuser: z.literal('local-only').default('local-only'),
    /** A new listen_addresses (restart required; never applied silently). */
    listenAddresses: z.string().optional(),
  }),
  /** A directory of extra role templates (*.sql), used beside the built-in ones. */
  templates: z.string().min(1).optional(),
  /**
   * postgresql.conf's mode after the flip when others can read it: 0600, 0640, keep, or auto
   * (default). On Debian, every OS user's psql and pg_dump (pg_wrapper) read it to find the port:
   * auto there moves the settings that hold a password to a 0600 file in conf.d and leaves
   * postgresql.conf readable; elsewhere auto is 0600.
   */
  configFileMode: z.enum(['auto', '0600', '0640', 'keep']).default('auto'),
  /** The audit's password-age limit: a role's password older than this many days is a finding (rotate it). */
  passwordMaxAgeDays: z.number().int().min(1).max(36_500).optional(),
  roles: z
    .array(
      z.strictObject({
        name: name('role'),
        template: z.string().min(1),
        databases: z.array(name('database')).min(1),
        schema: name('schema').default('public'),
        /** Tables that stay read-only for this role (e.g. an agents' kill switch). */
        readOnlyTables: z.array(z.string().min(1)).default([]),
      }),
    )
    .min(1),
  /**
   * Login roles not to retire: a role consumers moved away from, or one an earlier plan created
   * that left the spec, is made NOLOGIN (and NOSUPERUSER) once its sessions are gone, unless named here.
   */
  keep: z.array(name('role')).default([]),
  consumers: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        file: z.string().min(1),
        /** The file's format, when its name does not tell. */
        format: z.enum(['env', 'yaml', 'json', 'toml', 'ini', 'pgpass', 'pg_service', 'systemd']).optional(),
        /** The key holding the DSN in that file (e.g. DATABASE_URL), when there is more than one. */
        key: z.string().optional(),
        role: name('role'),
        /** Its sessions' application_name, to tell them from others on the same old user in pg_stat_activity. */
        application: z.string().min(1).optional(),
        /** The address it connects from, for the same purpose. */
        clientAddress: z
          .string()
          .refine((v) => parseIp(v) !== null, 'must be an IP address, e.g. 10.8.0.12')
          .optional(),
        /** How long apply waits for the consumer's old sessions to go before it stops (seconds). */
        drainTimeout: z.number().int().min(1).max(86_400).default(300),
        reload: argv.optional(),
        healthCheck: argv.optional(),
      }),
    )
    .default([]),
  tls: TlsSchema,
});

/** A validated spec. */
export type Spec = z.infer<typeof SpecSchema>;

/** Every problem in a spec file, each with where it is. */
export class SpecError extends InputError {
  /** `lines[i]`: the line of the spec problem `i` is about, where it could be found. */
  constructor(
    readonly file: string,
    readonly problems: string[],
    readonly lines: (number | undefined)[] = [],
  ) {
    super(
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p, i) => `  - ${lines[i] ? `${file}:${lines[i]}: ` : ''}${p}`).join('\n')}`,
      'fix the spec; pgharden plan --help shows its format',
    );
  }
}

/**
 * The line each path of the spec is on (JSON is YAML too, so one reader serves both): the key's
 * own line for an unknown key, the nearest existing parent for a missing one.
 */
function locator(text: string): (path: PropertyKey[], key?: string) => number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return (path, key) => {
    for (let n = path.length; n >= 0; n -= 1) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true);
      if (!isNode(node) || !node.range) continue;
      if (key !== undefined && n === path.length && isMap(node)) {
        const pair = node.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
        const at = isNode(pair?.key) ? pair.key.range?.[0] : undefined;
        if (at !== undefined) return lineCounter.linePos(at).line;
      }
      return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

/** Every string of the raw spec holding a control character: no spec value may add a line to any file. */
function controlProblems(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const c = controlCharacter(value);
    return c ? [{ path, message: `cannot contain ${c}: no spec value may span lines or hide characters` }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => controlProblems(v, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => controlProblems(v, [...path, k]));
  return [];
}

/** Trusted ranges that are every address, unless the spec says network.allowAnywhere: true. */
function anywhere(raw: unknown): { path: (string | number)[]; message: string }[] {
  const network = (raw as { network?: { trustedRanges?: unknown; allowAnywhere?: unknown } } | null)?.network;
  if (!Array.isArray(network?.trustedRanges) || network.allowAnywhere === true) return [];
  return network.trustedRanges.flatMap((r: unknown, i) =>
    typeof r === 'string' && /^[^/]*\/0+$/.test(r.trim())
      ? [
          {
            path: ['network', 'trustedRanges', i],
            message: `network.trustedRanges[${i}]: "${r}" is every address, not a trusted range; list the networks consumers connect from, or set network.allowAnywhere: true to mean it`,
          },
        ]
      : [],
  );
}

/**
 * The line of the spec a problem such as `roles[1].schema: ...` is about, for problems found after
 * parsing (by the planner, against the live server); undefined when it names no spec path.
 */
export function specLineOf(text: string): (problem: string) => number | undefined {
  const lineOf = locator(text);
  return (problem) => {
    const m = /^((?:target|network|roles|consumers|templates|tls|keep)(?:\[\d+\]|\.[A-Za-z]+)*): /.exec(problem);
    if (!m) return undefined;
    const path = [...m[1]!.matchAll(/[A-Za-z]+|\d+/g)].map(([t]) => (/^\d+$/.test(t) ? Number(t) : t));
    return lineOf(path);
  };
}

const NOUNS: Record<string, string> = {
  string: 'a text value',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping of keys to values',
};
const noun = (type: string) => NOUNS[type] ?? type;

/** The keys the spec's schema knows for the object at `path` (none when it is not an object there). */
function keysAt(path: PropertyKey[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's definitions, which are typed per kind
  let node: any = SpecSchema;
  const unwrap = () => {
    while (node?.def?.type === 'default' || node?.def?.type === 'optional') node = node.def.innerType;
  };
  unwrap();
  for (const p of path) {
    node = typeof p === 'number' ? (node?.def?.type === 'array' ? node.def.element : undefined) : node?.shape?.[p];
    unwrap();
  }
  return node?.shape ? Object.keys(node.shape) : [];
}

/** A schema problem in the words of the rest of pgharden's messages, never zod's own text. */
function inWords(i: z.core.$ZodIssue): string {
  // A message the schema gives itself (e.g. "needs the program and its arguments") is kept.
  if (i.code !== 'unrecognized_keys' && !/^(Invalid input|Invalid option|Too small|Too big)/.test(i.message))
    return i.message;
  switch (i.code) {
    case 'unrecognized_keys': {
      const known = keysAt(i.path);
      const meant = i.keys.map((k) => closest(k, known)).filter((m): m is string => m !== undefined);
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}${meant.length ? ` (did you mean ${meant.map((m) => `"${m}"`).join(', ')}?)` : ''}`;
    }
    case 'invalid_type': {
      const got = /received (\w+)/.exec(i.message)?.[1];
      return got === 'undefined'
        ? `is missing: it must be ${noun(i.expected)}`
        : `must be ${noun(i.expected)}${got ? `, not ${noun(got)}` : ''}`;
    }
    case 'invalid_value':
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return i.origin === 'array'
        ? `needs at least ${String(i.minimum)} item${Number(i.minimum) === 1 ? '' : 's'}`
        : `must be at least ${String(i.minimum)}`;
    case 'too_big':
      return i.origin === 'array' ? `takes at most ${String(i.maximum)} items` : `must be at most ${String(i.maximum)}`;
    default:
      return i.message;
  }
}

const where = (path: PropertyKey[]) =>
  path.length
    ? path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '')
    : '(top level)';

/** Parses YAML or JSON spec text; throws SpecError listing every problem. */
export function parseSpec(text: string, file: string): Spec {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    if (file.endsWith('.json')) throw new SpecError(file, [`not valid JSON: ${(err as Error).message.split('\n')[0]}`]);
    // The yaml library's own excerpt: the lines up to the error, and a caret under it.
    const [first = '', ...excerpt] = (err as Error).message.split('\n');
    const at = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const shown = excerpt.filter((l) => l.trim() !== '').map((l) => `      ${l}`);
    throw new SpecError(
      file,
      [
        `not valid YAML${at ? ` (column ${at.col})` : ''}: ${first.replace(/ at line \d+, column \d+:?$/, '')}${shown.length ? `\n${shown.join('\n')}` : ''}`,
      ],
      [at?.line],
    );
  }
  const result = SpecSchema.safeParse(raw ?? {});
  const lineOf = locator(text);
  const lines: (number | undefined)[] = [];
  const problems = result.success
    ? []
    : result.error.issues.map((i) => {
        lines.push(lineOf(i.path, i.code === 'unrecognized_keys' ? i.keys[0] : undefined));
        return `${where(i.path)}: ${inWords(i)}`;
      });
  for (const c of controlProblems(raw)) {
    problems.push(`${where(c.path)}: ${c.message}`);
    lines.push(lineOf(c.path));
  }
  for (const a of anywhere(raw)) {
    problems.push(a.message);
    lines.push(lineOf(a.path));
  }
  if (result.success) {
    const names = new Set(result.data.roles.map((r) => r.name));
    result.data.roles.forEach((r, i) => {
      if (result.data.roles.findIndex((x) => x.name === r.name) !== i) {
        problems.push(`roles[${i}].name: "${r.name}" is defined twice`);
        lines.push(lineOf(['roles', i, 'name']));
      }
    });
    result.data.consumers.forEach((c, i) => {
      if (!names.has(c.role)) {
        problems.push(`consumers[${i}].role: "${c.role}" is not one of the spec's roles (${[...names].join(', ')})`);
        lines.push(lineOf(['consumers', i, 'role']));
      }
    });
  }
  if (problems.length || !result.success) throw new SpecError(file, problems, lines);
  return result.data;
}
