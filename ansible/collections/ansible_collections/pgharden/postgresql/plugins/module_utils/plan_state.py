# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)
"""Where a plan directory stands, read from the plan and `pgharden status --json`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import read_json, run_cli

# A password in a connection string: URI user info (user:secret@) or the password keyword.
_DSN_PASSWORD = re.compile(r'(://[^:/@\s]*:[^@\s]+@)|(\bpassword\s*=)', re.IGNORECASE)


def step_states(module, plan_dir):
    """{step id: state} of the plan in plan_dir, or None when there is no plan there."""
    if not os.path.exists(os.path.join(plan_dir, 'plan.json')):
        return None
    rc, status, err = run_cli(module, ['status', plan_dir, '--json'])
    return dict((s['id'], s['state']) for s in status['steps'])


def has_plan(plan_dir):
    return os.path.exists(os.path.join(plan_dir, 'plan.json'))


def plan_series(plan_dir):
    """The plans this module made for plan_dir, oldest first: plan_dir itself (day one), then each
    later delta in plan_dir.2, plan_dir.3, ... (only directories that hold a plan)."""
    parent, base = os.path.split(plan_dir)
    numbered = re.compile(re.escape(base) + r'\.(\d+)$')
    later = []
    try:
        names = os.listdir(parent)
    except OSError:
        names = []
    for name in names:
        m = numbered.match(name)
        if m and has_plan(os.path.join(parent, name)):
            later.append((int(m.group(1)), os.path.join(parent, name)))
    return ([plan_dir] if has_plan(plan_dir) else []) + [d for n, d in sorted(later)]


def next_plan_dir(plan_dir, series):
    """Where the next plan goes: plan_dir while it holds none, else the first free plan_dir.N."""
    if not series:
        return plan_dir
    n = 2
    while os.path.exists('%s.%d' % (plan_dir, n)):
        n += 1
    return '%s.%d' % (plan_dir, n)


def plan_summary(plan_dir):
    """The plan's id, name, number of steps and rollback lines, from plan.json."""
    plan = read_json(os.path.join(plan_dir, 'plan.json')) or {}
    rollback = plan.get('rollback') or {}
    return dict(id=plan.get('id'), name=plan.get('name'), steps=len(plan.get('steps') or []),
                rollback=dict(command=rollback.get('command'), script=os.path.join(plan_dir, 'rollback.sh')))


def check_spec(module):
    """A spec to plan from: given, without a password, with absolute paths (the spec dict is
    written to a temporary file, so a relative path would name a file nobody meant)."""
    p = module.params
    if p['spec'] is None and p['spec_file'] is None:
        module.fail_json(msg='state=applied needs a plan to make: give spec (the harden.yaml content) or spec_file')
    spec = p['spec']
    if spec is None:
        return
    problems = []
    dsn = (spec.get('target') or {}).get('dsn')
    if isinstance(dsn, str) and _DSN_PASSWORD.search(dsn):
        module.no_log_values.add(dsn)
        problems.append('spec.target.dsn holds a password: leave target out and give the dsn option (no_log), '
                        'or use a socket DSN with peer, which needs none')
    for i, c in enumerate(spec.get('consumers') or []):
        f = c.get('file') if isinstance(c, dict) else None
        if isinstance(f, str) and not os.path.isabs(f):
            problems.append('spec.consumers[%d].file "%s" is relative: give the absolute path on the host' % (i, f))
    t = spec.get('templates')
    if isinstance(t, str) and not os.path.isabs(t):
        problems.append('spec.templates "%s" is relative: give the absolute path on the host' % t)
    if problems:
        module.fail_json(msg='; '.join(problems))
