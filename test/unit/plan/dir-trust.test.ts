/**
 * A plan directory is refused when others can write it, anything in it, or a directory above it
 * (a sticky one like /tmp excepted); a saved copy may keep the owner and mode of the file it saved,
 * exactly as the plan recorded them. Run as root (CI does): files are given to uid 12345.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/core/errors.js';
import type { FileBinding } from '../../../src/plan/binding.js';
import {
  refuseForeignSavedCopies,
  refuseUntrustedPlanDir,
  UntrustedPlanDirError,
} from '../../../src/plan/dir-trust.js';
import { thrownOrNull } from '../../support/caught.js';

const root = process.getuid?.() === 0;
let top: string;
let dir: string;
beforeEach(() => {
  top = mkdtempSync(join(tmpdir(), 'pgharden-trust-'));
  dir = join(top, 'plans', 'p');
  mkdirSync(join(dir, 'backup'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'plan.json'), '{}\n', { mode: 0o600 });
  writeFileSync(join(dir, 'rollback.sh'), '#!/bin/sh\n', { mode: 0o700 });
});
afterEach(() => rmSync(top, { recursive: true, force: true }));

const problems = (d: string): string[] => {
  const err = thrownOrNull<UntrustedPlanDirError>(() => refuseUntrustedPlanDir(d));
  if (!err) return [];
  expect(err).toBeInstanceOf(UntrustedPlanDirError);
  expect(err.exitCode).toBe(EXIT.refused);
  return err.problems.map((p) => `${p.path}: ${p.fix}`);
};

describe.runIf(root)('refuseUntrustedPlanDir', () => {
  it('accepts a directory only root can write, under sticky /tmp', () => {
    expect(problems(dir)).toEqual([]);
  });

  it('lists every path others can write: the directory, a file in it, a parent, a symlink', () => {
    chmodSync(dir, 0o777);
    chmodSync(join(top, 'plans'), 0o770);
    chmodSync(join(dir, 'plan.json'), 0o622);
    chownSync(join(dir, 'rollback.sh'), 12345, 12345);
    symlinkSync('/etc/hostname', join(dir, 'journal'));
    expect(problems(dir).sort()).toEqual(
      [
        `${join(top, 'plans')}: chmod go-w ${join(top, 'plans')}`,
        `${dir}: chmod go-w ${dir}`,
        `${join(dir, 'plan.json')}: chmod go-w ${join(dir, 'plan.json')}`,
        `${join(dir, 'rollback.sh')}: chown root ${join(dir, 'rollback.sh')}`,
        `${join(dir, 'journal')}: replace ${join(dir, 'journal')} with the file it points to`,
      ].sort(),
    );
  });

  it('accepts a saved copy with the owner and mode the plan recorded for its file, and no other', () => {
    const saved = join(dir, 'backup', '01-pg_hba.conf');
    writeFileSync(saved, 'local all all peer\n');
    chownSync(saved, 12345, 12346);
    chmodSync(saved, 0o660);
    const files: FileBinding[] = [
      { path: '/pg/pg_hba.conf', sha256: 'a'.repeat(64), mode: 0o660, uid: 12345, gid: 12346 },
    ];
    const copies = refuseUntrustedPlanDir(dir);
    expect(copies.copies.map((c) => c.rel)).toEqual(['backup/01-pg_hba.conf']);
    expect(() => refuseForeignSavedCopies(copies, files)).not.toThrow();
    expect(() => refuseForeignSavedCopies(copies, [{ ...files[0]!, uid: 0 }])).toThrow(
      `${saved} (owner 12345:12346, mode 0660) is owned by 12345, not by root: chown root ${saved}`,
    );
  });
});
