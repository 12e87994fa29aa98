/**
 * The plan directory: `plan.json` (canonical JSON, no secret), `secrets` (0600), `rollback.sh`
 * (the fallback that needs no pgharden, written before anything is applied), and later the
 * journal, backups and report. The directory is 0700: backups hold the files as they were.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../execute/canonical.js';
import { planId } from './planner.js';
import type { Plan } from './types.js';

export const PLAN_FILE = 'plan.json';
export const SECRETS_FILE = 'secrets';
export const ROLLBACK_FILE = 'rollback.sh';

/** A plan directory that cannot be used, with what to do. */
export class PlanFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanFileError';
  }
}

function writeNew(path: string, text: string, mode: number): void {
  const fd = openSync(path, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates the plan directory; refuses one that already holds a plan. */
export function createPlanDir(dir: string): void {
  if (existsSync(join(dir, PLAN_FILE)) || existsSync(join(dir, SECRETS_FILE))) {
    throw new PlanFileError(`${dir} already holds a plan; choose another --out, or remove that directory if the plan was never applied`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export function rollbackScript(plan: Plan): string {
  return [
    '#!/bin/sh',
    `# Rollback for pgharden plan ${plan.name} (${plan.id}), needing no pgharden and no database login:`,
    '# puts back every file the plan touches, byte for byte with its mode and owner, from the',
    '# backups taken at the start of apply, then signals the postmaster to reload.',
    '# Roles the plan created are left in place (harmless without the rules that admitted them).',
    'set -e',
    plan.rollback.shell,
    '',
  ].join('\n');
}

/** Writes plan.json and rollback.sh into a directory made with createPlanDir (secrets first, by the caller). */
export function savePlan(dir: string, plan: Plan): void {
  writeNew(join(dir, PLAN_FILE), `${canonicalJson(plan)}\n`, 0o600);
  writeNew(join(dir, ROLLBACK_FILE), rollbackScript(plan), 0o700);
}

/** Reads and checks plan.json: it parses, and its id is the hash of its content. */
export function loadPlan(dir: string): Plan {
  const file = join(dir, PLAN_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlanFileError(code === 'ENOENT' ? `No plan at ${file}; make one with: pgharden plan --spec harden.yaml --out ${dir}` : `Cannot read ${file}: ${(err as Error).message}`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch (err) {
    throw new PlanFileError(`${file} is not valid JSON (${(err as Error).message}); has it been edited? Make a new plan`);
  }
  if (plan.schemaVersion !== 1 || typeof plan.id !== 'string' || !Array.isArray(plan.steps)) {
    throw new PlanFileError(`${file} is not a pgharden plan of a version this pgharden reads (schemaVersion ${String(plan.schemaVersion)})`);
  }
  if (planId(plan) !== plan.id) {
    throw new PlanFileError(`${file} does not match its id ${plan.id.slice(0, 12)}…: it has been edited since it was made. Nothing was done; make a new plan (pgharden plan --spec ...)`);
  }
  return plan;
}
