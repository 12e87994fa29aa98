import { describe, expect, it } from 'vitest';
import { defaultContext } from '../../../src/conf/context.js';
import { parseHba } from '../../../src/conf/hba.js';
import { hbaName, withCanary } from '../../../src/plan/canary.js';

const lines = (text: string) => parseHba(text, { file: '/x', context: defaultContext({ major: 16 }) });

describe('canary rules', () => {
  it.each([
    ['app', 'app'],
    ['all', '"all"'],
    ['my app', '"my app"'],
    ['a,b', '"a,b"'],
    ['+ops', '"+ops"'],
    ['say"hi', '"say""hi"'],
  ])('writes role %j as %s', (name, written) => {
    expect(hbaName(name)).toBe(written);
  });

  it("goes above the first rule and the comments introducing it, in the file's line endings", () => {
    expect(
      withCanary(
        lines('# head\r\n\r\n# rules\r\nhost all all 10.0.0.0/8 trust\r\n'),
        [{ name: 'app', databases: ['shop', 'all'] }],
        ['10.1.0.0/24'],
      ),
    ).toBe(
      '# head\r\n\r\n# pgharden: canary rules while consumers move to their new roles; the flip keeps them\r\n' +
        'host    shop,"all"      app             10.1.0.0/24             scram-sha-256  # pgharden: canary for the new role app\r\n\r\n' +
        '# rules\r\nhost all all 10.0.0.0/8 trust\r\n',
    );
  });

  it('appends to a file without rules, ending its last line first', () => {
    expect(withCanary(lines('# empty'), [{ name: 'app', databases: ['shop'] }], ['10.1.0.0/24'])).toBe(
      '# empty\n# pgharden: canary rules while consumers move to their new roles; the flip keeps them\n' +
        'host    shop            app             10.1.0.0/24             scram-sha-256  # pgharden: canary for the new role app\n',
    );
  });
});
