import { describe, expect, it } from 'vitest';
import { checkTemplate, instantiate, loadTemplates, TemplateError } from '../../../src/plan/templates.js';

const app = (sql: string) => `-- kind: app\n${sql}`;

describe('role templates', () => {
  it('loads the built-in templates, each valid for the real grammar', async () => {
    const t = await loadTemplates();
    expect([...t.keys()]).toEqual(['app-readwrite', 'migrator', 'readonly']);
    expect(t.get('migrator')?.kind).toBe('owner');
    expect(t.get('migrator')?.createsInSchema).toBe(true);
    expect(t.get('app-readwrite')?.tablePrivileges).toEqual(['delete', 'insert', 'select', 'update']);
    expect(t.get('readonly')?.statements).toEqual([
      'GRANT CONNECT ON DATABASE :database TO :role',
      'GRANT USAGE ON SCHEMA :schema TO :role',
      'GRANT SELECT ON ALL TABLES IN SCHEMA :schema TO :role',
      'GRANT SELECT ON ALL SEQUENCES IN SCHEMA :schema TO :role',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT SELECT ON TABLES TO :role',
    ]);
    expect(instantiate(t.get('readonly')!, { role: 'report "ro"', database: 'shop', schema: 'public' })).toContain(
      'GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "report ""ro""";',
    );
  });

  it.each([
    [
      'GRANT CREATE ON SCHEMA :schema TO :role;',
      'grants CREATE to an application role: GRANT CREATE ON SCHEMA :schema TO :role',
    ],
    ['GRANT ALL ON ALL TABLES IN SCHEMA :schema TO :role;', 'grants ALL PRIVILEGES'],
    ['GRANT SELECT, TRUNCATE ON ALL TABLES IN SCHEMA :schema TO :role;', 'grants TRUNCATE to an application role'],
    ['ALTER DEFAULT PRIVILEGES GRANT REFERENCES, TRIGGER ON TABLES TO :role;', 'grants REFERENCES, TRIGGER'],
    ['GRANT SELECT ON ALL TABLES IN SCHEMA :schema TO :role WITH GRANT OPTION;', 'WITH GRANT OPTION'],
    ['ALTER TABLE t OWNER TO :role;', 'hands ownership or DDL'],
    ['CREATE TABLE t (i int);', 'runs Create'],
    ['GRANT pg_write_server_files TO :role;', 'makes the application role a member'],
  ])('refuses %s', async (sql, message) => {
    await expect(checkTemplate('bad.sql', app(sql))).rejects.toThrow(message);
  });

  it('accepts REVOKE, and says where SQL is invalid or the kind is missing', async () => {
    await expect(checkTemplate('ok.sql', app('REVOKE CREATE ON SCHEMA :schema FROM :role;'))).resolves.toMatchObject({
      kind: 'app',
    });
    await expect(checkTemplate('typo.sql', app('GRANT SELECT ON TO :role;'))).rejects.toThrow(
      'Role template "typo.sql": is not valid SQL: syntax error',
    );
    // The grammar takes any word as a privilege name; the allow-list refuses what it does not know.
    await expect(checkTemplate('odd.sql', app('GRANT SELEC ON t TO :role;'))).rejects.toThrow(
      'grants SELEC to an application role',
    );
    await expect(checkTemplate('nokind.sql', 'GRANT SELECT ON t TO :role;')).rejects.toBeInstanceOf(TemplateError);
  });

  it('reads the sequence privileges, default privileges and memberships a delta plan compares', async () => {
    const t = await loadTemplates();
    expect(t.get('app-readwrite')).toMatchObject({
      sequencePrivileges: ['select', 'usage'],
      defaultPrivileges: [
        { objects: 'tables', privileges: ['delete', 'insert', 'select', 'update'] },
        { objects: 'sequences', privileges: ['select', 'usage'] },
      ],
      memberOf: [],
    });
    expect(t.get('readonly')).toMatchObject({
      sequencePrivileges: ['select'],
      defaultPrivileges: [{ objects: 'tables', privileges: ['select'] }],
    });
    const owner = await checkTemplate(
      'monitor.sql',
      [
        '-- kind: owner',
        'GRANT pg_monitor, "Ops Team" TO :role;',
        'GRANT ALL ON ALL SEQUENCES IN SCHEMA :schema TO :role;',
        // Only IN SCHEMA :schema for the role running it can be compared; FOR ROLE is left out.
        'ALTER DEFAULT PRIVILEGES FOR ROLE app_owner IN SCHEMA :schema GRANT SELECT ON TABLES TO :role;',
        'ALTER DEFAULT PRIVILEGES IN SCHEMA :schema GRANT ALL ON TABLES TO :role;',
        'GRANT pg_read_all_data TO someone_else;',
      ].join('\n'),
    );
    expect(owner).toMatchObject({
      memberOf: ['Ops Team', 'pg_monitor'],
      sequencePrivileges: ['select', 'update', 'usage'],
      defaultPrivileges: [
        {
          objects: 'tables',
          privileges: ['delete', 'insert', 'references', 'select', 'trigger', 'truncate', 'update'],
        },
      ],
    });
  });

  it('leaves casts alone when filling placeholders', async () => {
    const t = await checkTemplate('cast.sql', "-- kind: owner\nSELECT 1::int, ':role'::text;");
    expect(instantiate(t, { role: 'x', database: 'd', schema: 's' })).toBe(
      '-- kind: owner\nSELECT 1::int, \'"x"\'::text;',
    );
  });

  it("loads a user's template directory, and refuses one that hands an app role DDL, quoting it", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'pgharden-templates-'));
    try {
      writeFileSync(
        join(dir, 'audit-reader.sql'),
        '-- kind: app\nGRANT CONNECT ON DATABASE :database TO :role;\nGRANT USAGE ON SCHEMA :schema TO :role;\nGRANT SELECT ON ALL TABLES IN SCHEMA :schema TO :role;\n',
      );
      const t = await loadTemplates(dir);
      expect([...t.keys()]).toEqual(['audit-reader']);
      expect(t.get('audit-reader')?.tablePrivileges).toEqual(['select']);
      writeFileSync(
        join(dir, 'sneaky.sql'),
        '-- kind: app\nGRANT SELECT ON ALL TABLES IN SCHEMA :schema TO :role;\nGRANT CREATE ON SCHEMA :schema TO :role;\n',
      );
      await expect(loadTemplates(dir)).rejects.toThrow(
        'sneaky.sql": grants CREATE to an application role: GRANT CREATE ON SCHEMA :schema TO :role',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
