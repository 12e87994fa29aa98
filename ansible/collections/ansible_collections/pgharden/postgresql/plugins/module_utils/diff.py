# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)
"""The review's unified diffs as Ansible's diff form: one before/after pair per file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import redact_passwords

_HUNK = re.compile(r'^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@')


class PatchError(Exception):
    pass


def _lines(text):
    """Lines with their endings; only LF ends a line (a CRLF file keeps its CR in each line)."""
    if text == '':
        return []
    parts = text.split('\n')
    lines = [p + '\n' for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def apply_patch(text, patch):
    """`text` with the unified diff `patch` applied; PatchError when it does not fit."""
    src = _lines(text)
    body = _lines(patch)
    out = []
    pos = 0
    i = 0
    while i < len(body) and not body[i].startswith('@@'):
        i += 1
    while i < len(body):
        m = _HUNK.match(body[i])
        if not m:
            raise PatchError('not a hunk header: %r' % body[i])
        i += 1
        start, count = int(m.group(1)), int(m.group(2) or 1)
        # An empty old side names the line before the hunk.
        begin = start if count == 0 else start - 1
        if begin < pos:
            raise PatchError('hunks overlap')
        out.extend(src[pos:begin])
        pos = begin
        last = None
        while i < len(body) and not body[i].startswith('@@'):
            line = body[i]
            i += 1
            tag, rest = line[0], line[1:]
            if tag == '\\':
                if last in (' ', '+') and out:
                    out[-1] = out[-1][:-1] if out[-1].endswith('\n') else out[-1]
                continue
            if tag in (' ', '-'):
                if pos >= len(src) or src[pos].rstrip('\n') != rest.rstrip('\n'):
                    raise PatchError('line %d differs from the review' % (pos + 1))
                pos += 1
            if tag in (' ', '+'):
                out.append(rest)
            last = tag
    out.extend(src[pos:])
    return ''.join(out)


def read_text(path):
    """The file as text (UTF-8, else Latin-1 as PostgreSQL reads a pg_hba.conf), or None."""
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except (IOError, OSError):
        return None
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data.decode('latin-1')


def ansible_diffs(review_diffs, read=read_text):
    """One Ansible diff per file the review changes, in the review's order: the file as it is
    now → after the plan, passwords redacted; a mode change shows in the headers (or as the
    only difference). A file whose patch does not fit any more shows the review's diff as is."""
    by_path = {}
    order = []
    for d in review_diffs:
        if d['path'] not in by_path:
            by_path[d['path']] = []
            order.append(d['path'])
        by_path[d['path']].append(d)
    result = []
    for path in order:
        steps = by_path[path]
        modes = [d['mode'] for d in steps if d.get('mode')]
        patches = [d['diff'] for d in steps if d.get('diff')]
        before_mode = '%04o' % modes[0]['before'] if modes else None
        after_mode = '%04o' % modes[-1]['after'] if modes else None
        if not patches:
            result.append(dict(before_header='%s (mode)' % path, after_header='%s (mode)' % path,
                               before='mode %s\n' % before_mode, after='mode %s\n' % after_mode))
            continue
        before = read(path)
        try:
            if before is None:
                raise PatchError('unreadable')
            after = before
            for p in patches:
                after = apply_patch(after, p)
        except PatchError:
            result.append(dict(prepared=redact_passwords('\n'.join(patches))))
            continue
        suffix = (lambda m: ' (mode %s)' % m) if modes else (lambda m: '')
        result.append(dict(before_header=path + suffix(before_mode), after_header=path + suffix(after_mode),
                           before=redact_passwords(before), after=redact_passwords(after)))
    return result
