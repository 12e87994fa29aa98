# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)
"""The review's diffs in Ansible's form (python3 -m unittest, standard library only)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import unittest

from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import redact_passwords
from ansible_collections.pgharden.postgresql.plugins.module_utils.diff import PatchError, ansible_diffs, apply_patch


def unified(a, b):
    return ''.join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), 'f', 'f'))


class ApplyPatchTest(unittest.TestCase):
    def test_round_trips(self):
        a = ''.join('line %d\n' % i for i in range(1, 30))
        b = 'first\n' + a.replace('line 5\n', 'five\n').replace('line 25\n', '') + 'last\n'
        self.assertEqual(apply_patch(a, unified(a, b)), b)

    def test_insert_into_empty_file_and_no_newline_at_end(self):
        self.assertEqual(apply_patch('', '@@ -0,0 +1,1 @@\n+only\n\\ No newline at end of file\n'), 'only')

    def test_keeps_crlf(self):
        a = 'a\r\nb\r\nc\r\n'
        self.assertEqual(apply_patch(a, '@@ -2,1 +2,1 @@\n-b\r\n+B\r\n'), 'a\r\nB\r\nc\r\n')

    def test_refuses_a_patch_that_does_not_fit(self):
        self.assertRaises(PatchError, apply_patch, 'x\n', '@@ -1,1 +1,1 @@\n-y\n+z\n')


class AnsibleDiffsTest(unittest.TestCase):
    def test_one_diff_per_file_after_every_step(self):
        files = {'/h': 'a\nb\n'}
        step1 = unified('a\nb\n', 'a\nb\nc\n')
        step2 = unified('a\nb\nc\n', 'A\nb\nc\n')
        out = ansible_diffs([dict(step='s1', path='/h', diff=step1), dict(step='s2', path='/h', diff=step2),
                             dict(step='s3', path='/conf', diff='', mode=dict(before=0o644, after=0o600))],
                            read=files.get)
        self.assertEqual(out, [
            dict(before_header='/h', after_header='/h', before='a\nb\n', after='A\nb\nc\n'),
            dict(before_header='/conf (mode)', after_header='/conf (mode)', before='mode 0644\n', after='mode 0600\n'),
        ])

    def test_redacts_an_old_password_too(self):
        before = 'URL=postgres://app:old-secret@db/x\n'
        after = 'URL=postgres://agents_app:<redacted>@db/x\n'
        out = ansible_diffs([dict(step='s', path='/e', diff=unified(before, after))], read={'/e': before}.get)
        self.assertNotIn('old-secret', repr(out))
        self.assertEqual(out[0]['after'], after)

    def test_shows_the_review_diff_when_the_file_changed_since(self):
        diff = unified('a\n', 'b\n')
        out = ansible_diffs([dict(step='s', path='/e', diff=diff)], read={'/e': 'other\n'}.get)
        self.assertEqual(out, [dict(prepared=diff)])


class RedactTest(unittest.TestCase):
    def test_every_form(self):
        text = ('postgres://u:p%40ss@h/db\nhost=h password=secret1 user=u\nPGPASSWORD=secret2\n'
                '{"password": "secret3"}\npassword: \'secret4\'\n')
        out = redact_passwords(text)
        for s in ('p%40ss', 'secret1', 'secret2', 'secret3', 'secret4'):
            self.assertNotIn(s, out)
        self.assertIn('postgres://u:<redacted>@h/db', out)


if __name__ == '__main__':
    unittest.main()
