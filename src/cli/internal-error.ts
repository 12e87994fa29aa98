/**
 * What a command that ended in a bug may have left changed, in one sentence with where to look:
 * "nothing was changed" only for the verbs that only read.
 */

/** The verbs that change nothing: a bug in them changed nothing either. */
const READS = new Set(['inspect', 'audit', 'review', 'status', 'consumers', 'help', '--help', '--version']);

/** The value of `--flag VALUE` or `--flag=VALUE` in argv. */
function flag(argv: string[], name: string): string | undefined {
  for (const [i, a] of argv.entries()) {
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** The sentence after "This is a bug in pgharden;" for `pgharden ARGV`. */
export function changedBy(argv: string[]): string {
  const [verb, ...rest] = argv;
  if (verb === undefined || READS.has(verb)) return 'this command only reads, so nothing was changed.';
  // apply's and rollback's flags take no value: the one word without a dash is the plan.
  const positional = rest.find((a) => !a.startsWith('-'));
  if ((verb === 'apply' || verb === 'rollback') && positional)
    return `steps may have run before it: pgharden status ${positional} shows what was changed, and pgharden ${verb} ${positional} goes on from there.`;
  if (verb === 'rollback')
    return 'steps may have run before it: pgharden status on the newest plan in plans/ shows what was changed.';
  if (verb === 'pitr' && rest[0] === 'enable') {
    const out = flag(rest, '--out');
    return rest.includes('--yes') && out
      ? `steps may have run before it: pgharden status ${out} shows what was changed.`
      : `it may have written part of its plan directory${out ? ` ${out}` : ''}: check it (pgharden status) before running again.`;
  }
  if (verb === 'plan') return 'it may have written part of its plan directory (--out): check it before running again.';
  return 'it may have changed files or the server before it stopped: check the output above, and pgharden status PLAN for a plan it applied.';
}
