import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseIdent } from '../../../src/conf/ident.js';
import { identEntriesFor } from '../../../src/hba/ident-map.js';

const TEXT = `m alice app
m /^(.*)@corp$ \\1
m bob all
m carol +admins
m dave /^ap
m "erin" "app"
other frank app
`;

const entries = (major: number, role: string) =>
  identEntriesFor(parseIdent(TEXT, { file: 'pg_ident.conf', context: defaultContext({ major }) }), {
    map: 'm',
    role,
    major,
    memberOf: (u, g) => u === 'app' && g === 'admins',
  }).map((e) => `${e.line}:${e.systemUser}`);

describe('identEntriesFor', () => {
  it('from 16, all, +group and /regex name the role as the server reads them', () => {
    expect(entries(16, 'app')).toEqual(['1:alice', '2:/^(.*)@corp$', '3:bob', '4:carol', '5:dave', '6:erin']);
    expect(entries(16, 'zed')).toEqual(['2:/^(.*)@corp$', '3:bob']);
  });
  it('before 16, PG-USERNAME is only a name (or a \\1 substitution)', () => {
    expect(entries(15, 'app')).toEqual(['1:alice', '2:/^(.*)@corp$', '6:erin']);
    expect(entries(15, 'all')).toEqual(['2:/^(.*)@corp$', '3:bob']);
  });
});
