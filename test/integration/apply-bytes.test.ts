/**
 * Bytes are bytes: a pg_hba.conf in Latin-1 (a role `caf\xe9`, a comment with `\xe9`) keeps every
 * byte of every line the plan does not change through the canary and the flip, and rollback puts
 * the file back byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORY_HBA } from '../../src/scratch/story.js';
import { testedInstalls } from '../support/cluster.js';
import { pgharden } from '../support/cli.js';
import { makeStoryPlan, storyWithConsumers, type StoryPlanSetup } from '../support/story-plan.js';

const LATIN1 = Buffer.concat([
  Buffer.from(
    '# Caf\xe9 des r\xeaves: the old reporting box\nhost    all             caf\xe9            127.0.0.1/32            reject\n',
    'latin1',
  ),
  Buffer.from(STORY_HBA, 'latin1'),
]);

/** The lines of a file, as bytes (each with its newline). */
const lines = (b: Buffer) =>
  b
    .toString('latin1')
    .split(/(?<=\n)/)
    .map((l) => Buffer.from(l, 'latin1'));

describe.each(testedInstalls())('a Latin-1 pg_hba.conf on PostgreSQL $major', (install) => {
  let s: StoryPlanSetup;
  let planDir: string;

  beforeAll(async () => {
    s = await storyWithConsumers(install);
    writeFileSync(s.cluster.hbaFile, LATIN1);
    await s.cluster.query('SELECT pg_reload_conf()');
    planDir = makeStoryPlan(s, 'latin1');
  });
  afterAll(async () => s?.cleanup());

  it('keeps every untouched byte through apply, and rollback restores the file exactly', () => {
    const applied = pgharden(['apply', planDir, '--yes']);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const after = readFileSync(s.cluster.hbaFile);
    expect(after.includes(Buffer.from('caf\xc3\xa9', 'latin1'))).toBe(false);
    // Every original line that is not a trust rule (the flip changes those) is still there, byte for byte, in order.
    const kept = lines(LATIN1).filter((l) => !l.toString('latin1').trimEnd().endsWith('trust'));
    let at = 0;
    for (const l of kept) {
      const found = after.indexOf(l, at);
      expect(found, `missing: ${JSON.stringify(l.toString('latin1'))}`).toBeGreaterThanOrEqual(at);
      at = found + l.length;
    }
    const back = pgharden(['rollback', planDir]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(readFileSync(s.cluster.hbaFile).equals(LATIN1)).toBe(true);
  });
});
