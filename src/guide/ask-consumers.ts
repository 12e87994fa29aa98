/**
 * The guide's consumer questions: for each consumer seen connected, the file that holds its
 * connection string (from a scan; a file already chosen is never offered first again); consumers
 * added by hand (name, file, key, application_name, role); and for each, its reload and health commands (systemd's
 * when a service reads the file as its environment) and its drain timeout.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { scanConsumers, type Spec } from '../index.js';
import { joinCommand, questions, splitCommand, type Prompter } from './questions.js';
import type { SeenConsumer } from './ask-roles.js';
import { serviceOfFile } from './systemd.js';

type Consumer = Spec['consumers'][number];
type Found = Awaited<ReturnType<typeof scanConsumers>>[number];

/** The scan's finds in the order to offer them: files not chosen yet first, the likeliest one first among those. */
export function offerOrder(found: readonly Found[], chosen: ReadonlySet<string>, c: SeenConsumer): Found[] {
  const score = (f: Found) =>
    (chosen.has(f.file) ? 0 : 4) +
    (c.application && f.shown.includes(`application_name=${c.application}`) ? 2 : 0) +
    (f.user === c.user ? 1 : 0);
  return [...found].sort((a, b) => score(b) - score(a));
}

/** Reload, health and drain timeout of one consumer. */
async function askOperations(p: Prompter, name: string, file: string) {
  // PGHARDEN_UNIT_DIRS (colon-separated) replaces systemd's unit directories: for tests and unusual layouts.
  const service = serviceOfFile(file, process.env.PGHARDEN_UNIT_DIRS?.split(':'));
  const reload = splitCommand(await p.input(questions.reload(name, service ? joinCommand(service.reload) : '')));
  const health = splitCommand(await p.input(questions.health(name, service ? joinCommand(service.health) : '')));
  const drainTimeout = Number(await p.input(questions.drainTimeout(name)));
  return { drainTimeout, ...(reload.length ? { reload } : {}), ...(health.length ? { healthCheck: health } : {}) };
}

export async function askConsumers(
  p: Prompter,
  cwd: string,
  roles: readonly string[],
  seen: readonly SeenConsumer[],
): Promise<Consumer[]> {
  const consumers: Consumer[] = [];
  const chosen = new Map<string, string>();
  if (seen.length) {
    const dirs = (await p.input(questions.scanDirs(cwd))).trim().split(/\s+/).filter(Boolean);
    const found = (await scanConsumers(dirs.map((d) => resolve(cwd, d)))).filter((f) => f.kind !== 'pgvar');
    for (const w of seen) {
      const offered = offerOrder(found, new Set(chosen.keys()), w);
      const pick = await p.select({
        message: `Which file holds ${w.application || w.user}'s connection string (it moves to ${w.role})?`,
        choices: [
          ...offered.map((f) => ({
            value: `${f.file}:${f.line}`,
            name: `${f.file}:${f.line}  ${f.key ?? ''} ${f.shown}${chosen.has(f.file) ? `  (already chosen for ${chosen.get(f.file)})` : ''}`,
          })),
          { value: 'none', name: 'none of these (I will name it by hand, or move it myself)' },
        ],
      });
      if (pick === 'none') continue;
      const f = offered.find((x) => `${x.file}:${x.line}` === pick)!;
      const name = w.application || w.role;
      chosen.set(f.file, name);
      consumers.push({
        name,
        file: f.file,
        ...(f.key ? { key: f.key } : {}),
        role: w.role,
        ...(w.application ? { application: w.application } : {}),
        ...(await askOperations(p, name, f.file)),
      });
    }
  }
  while (await p.confirm(questions.moreConsumers(consumers.length === 0))) {
    const name = (await p.input(questions.consumerName(new Set(consumers.map((c) => c.name))))).trim();
    const file = resolve(cwd, (await p.input(questions.consumerFile((f) => existsSync(resolve(cwd, f))))).trim());
    const key = (await p.input(questions.consumerKey)).trim();
    const application = (await p.input(questions.consumerApplication)).trim();
    const role = await p.select(questions.consumerRole(roles));
    consumers.push({
      name,
      file,
      ...(key ? { key } : {}),
      role,
      ...(application ? { application } : {}),
      ...(await askOperations(p, name, file)),
    });
  }
  return consumers;
}
