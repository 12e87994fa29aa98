import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSingleExecutable, listShipped, readShipped, shippedName } from '../../../src/core/shipped.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// The single-executable side (assets) is proven by test/integration/package.test.ts, which plans
// with the built-in templates from the installed .deb.
describe('files shipped with pgharden, run from the package directory', () => {
  it('is not the single executable', () => {
    expect(isSingleExecutable()).toBe(false);
  });

  it('lists the files directly in a directory as package-relative paths, sorted', () => {
    const sql = readdirSync(`${ROOT}templates/roles`).sort();
    expect(listShipped('templates/roles')).toEqual(sql.map((f) => `templates/roles/${f}`));
    expect(listShipped('templates/roles/')).toEqual(listShipped('templates/roles'));
    // templates/README.md, not the files one level down
    expect(listShipped('templates')).toEqual(['templates/README.md']);
  });

  it('reads a file and names it by its full path', () => {
    expect(readShipped('templates/roles/readonly.sql')).toBe(
      readFileSync(`${ROOT}templates/roles/readonly.sql`, 'utf8'),
    );
    expect(shippedName('templates/roles/readonly.sql')).toBe(`${ROOT}templates/roles/readonly.sql`);
  });
});
