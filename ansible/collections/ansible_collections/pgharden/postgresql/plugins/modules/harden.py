#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: harden
short_description: Harden a PostgreSQL cluster with pgharden's reviewed, reversible plan
version_added: "0.1.0"
description:
  - Plans, reviews and applies pgharden's hardening of one cluster on the managed host
    (least-privilege roles, consumers moved to them, C(pg_hba.conf) flipped to C(scram-sha-256),
    superusers local-only), then returns the verification report. Runs the C(pgharden) CLI on the
    host and reads its C(--json) output.
  - In check mode it makes the plan and reviews it, and nothing else. C(changed) is true when
    the plan has steps; with C(--diff) the diffs of C(pg_hba.conf), C(postgresql.conf) and every
    consumer file are shown, passwords as C(<redacted>). The only thing written on the host is
    the plan in I(plan_dir).
  - Applied, it resumes a plan whose apply was interrupted, or re-applies one that was rolled
    back; a plan that was never started is made again from the current state and the spec. A plan
    whose steps are all done is left alone (C(changed=false)), so a second run changes nothing.
  - A failed step or check fails the task with the report and the rollback line; the plan stays
    in I(plan_dir) for C(state=rolled_back).
  - The new roles' passwords stay on the host, in the plan's 0600 C(secrets) file and the consumer
    files. They never appear in a result, as Ansible masks every password and verifier of the plan.
author:
  - pgharden contributors (@pgharden)
options:
  spec:
    description:
      - The content of C(harden.yaml) as a dictionary (C(target), C(network), C(roles),
        C(consumers), C(templates), C(configFileMode)); see C(pgharden plan --help).
      - Paths in it (consumer C(file), C(templates)) must be absolute.
      - Never put a password in it (not even in C(target.dsn)); use I(dsn), which is C(no_log).
      - Exactly one of I(spec) and I(spec_file) is required with I(state=applied).
    type: dict
  spec_file:
    description:
      - Path on the managed host of a C(harden.yaml) or C(.json) spec; relative paths inside it are
        relative to the file.
    type: path
  cluster:
    description:
      - A Debian cluster as C(VERSION/NAME), for example C(15/main) (postgresql-common).
      - Mutually exclusive with I(dsn). With neither, the spec's C(target), else the libpq
        environment, names the server.
    type: str
  dsn:
    description:
      - A libpq connection string (URI or keyword/value) for pgharden's admin connection. Use the
        local socket (for example C(host=/var/run/postgresql port=5432 user=postgres)), because after the
        flip, superusers are refused over TCP.
      - Never logged or returned (C(no_log)).
    type: str
  plan_dir:
    description:
      - The plan directory on the managed host. Defaults to C(/var/lib/pgharden/plans/NAME), NAME
        being I(name).
    type: path
  name:
    description:
      - The plan's name, used for the default I(plan_dir).
    type: str
    default: harden
  state:
    description:
      - C(applied) plans (unless a plan is already there) and applies.
      - C(rolled_back) runs C(pgharden rollback) on the plan in I(plan_dir) (files back byte for byte,
        roles dropped); nothing to undo is C(changed=false).
    type: str
    choices: [applied, rolled_back]
    default: applied
  skip_backup:
    description:
      - Leave out the verified backup (dumps restored and compared) that the plan's preflight takes.
        The plan and its report record the omission.
    type: bool
    default: false
  terminate:
    description:
      - With I(state=rolled_back), end the sessions still logged in as a role the rollback drops.
    type: bool
    default: false
  pgharden_bin:
    description:
      - How to run the CLI. A command on PATH or a path; a C(.js) file runs with the C(node) on
        PATH; a list is the argv prefix (for example C([/usr/bin/node, /opt/pgharden/dist/cli/main.js])).
    type: list
    elements: str
    default: [pgharden]
notes:
  - Run as root (C(become)) on the server's host, or as the server's OS user; pgharden reaches
    the server over its local socket with C(peer).
  - Supports C(check_mode) and C(diff_mode).
seealso:
  - module: pgharden.postgresql.audit
'''

EXAMPLES = r'''
- name: Review what would change (run the play with --check --diff)
  pgharden.postgresql.harden:
    cluster: 15/main
    spec:
      network: {trustedRanges: [10.8.0.0/24]}
      roles:
        - {name: agents_app, template: app-readwrite, databases: [workspace]}
      consumers:
        - {name: agents, file: /srv/agents/.env, key: DATABASE_URL, role: agents_app,
           healthCheck: [curl, -fsS, "http://localhost:8080/health"]}

- name: Harden, from a spec file on the host
  pgharden.postgresql.harden:
    dsn: "host=/var/run/postgresql port=5432 user=postgres"
    spec_file: /etc/pgharden/harden.yaml
    plan_dir: /var/lib/pgharden/plans/office-vpn
  register: hardened

- name: Roll back
  pgharden.postgresql.harden:
    plan_dir: /var/lib/pgharden/plans/office-vpn
    state: rolled_back
'''

RETURN = r'''
plan_dir:
  description: The plan directory.
  returned: always
  type: str
  sample: /var/lib/pgharden/plans/harden
plan:
  description: The plan's id, name and step count.
  returned: when a plan exists
  type: dict
  sample: {"id": "3f1c...", "name": "harden", "steps": 31}
action:
  description: What the module did (planned, applied, resumed, unchanged, rolled_back, nothing_to_roll_back).
  returned: always
  type: str
  sample: applied
stages:
  description: The review's stages, each with its steps (id, kind, description, SQL with secrets redacted, checks).
  returned: when the module made a plan
  type: list
  elements: dict
restart_required:
  description: Items of the plan that need a server restart, which pgharden leaves to the operator.
  returned: when the module made a plan
  type: list
  elements: str
report:
  description: The verification report (C(report.json)) of the plan's last apply.
  returned: when the plan has been applied (also on a failed check)
  type: dict
rollback:
  description: The one-line rollback and the shell fallback that needs no pgharden.
  returned: when a plan exists
  type: dict
  sample: {"command": "pgharden rollback /var/lib/pgharden/plans/harden", "script": "/var/lib/pgharden/plans/harden/rollback.sh"}
stopped:
  description: The step where apply stopped and why.
  returned: on failure
  type: dict
rolled_back:
  description: What C(pgharden rollback) did (restored files, undone steps, kept roles).
  returned: when state is rolled_back and something was undone
  type: dict
'''

import os
import shutil
import tempfile
import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import (
    CONNECTION_ARGS, connection_flags, protect, read_json, run_cli)
from ansible_collections.pgharden.postgresql.plugins.module_utils.diff import ansible_diffs
from ansible_collections.pgharden.postgresql.plugins.module_utils.plan_state import (
    check_spec, plan_summary, step_states)


def make_plan(module, plan_dir):
    """pgharden plan into plan_dir (the spec dict goes through a 0600 temp file, removed after)."""
    p = module.params
    tmp = None
    spec_file = p['spec_file']
    if p['spec'] is not None:
        tmp = tempfile.mkdtemp(prefix='pgharden-spec-')
        spec_file = os.path.join(tmp, 'harden.json')
        with os.fdopen(os.open(spec_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:
            json.dump(p['spec'], f)
    try:
        args = ['plan', '--spec', spec_file, '--out', plan_dir, '--json'] + connection_flags(module)
        if p['skip_backup']:
            args.append('--skip-backup')
        rc, review, err = run_cli(module, args, ok_codes=(0,))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    protect(module, plan_dir)
    return review


def planned_result(module, plan_dir, review):
    result = dict(changed=bool(plan_summary(plan_dir)['steps']), plan_dir=plan_dir, action='planned',
                  plan=plan_summary(plan_dir), stages=review['stages'],
                  restart_required=review['restartRequired'], rollback=review['rollback'])
    if module._diff:
        result['diff'] = ansible_diffs(review['diffs'])
    return result


def applied(module, plan_dir):
    states = step_states(module, plan_dir)
    if states and all(s == 'done' for s in states.values()):
        return dict(changed=False, plan_dir=plan_dir, action='unchanged', plan=plan_summary(plan_dir),
                    report=read_json(os.path.join(plan_dir, 'report.json')),
                    rollback=plan_summary(plan_dir)['rollback'])
    # A plan none of whose steps began (never applied, or refused before its first step) left
    # nothing on the host and its secrets were never used: it is made again.
    started = states is not None and any(s != 'not-started' for s in states.values())
    result = None
    if started:
        if module.check_mode:
            return dict(changed=True, plan_dir=plan_dir, action='resumed', plan=plan_summary(plan_dir),
                        msg='check mode: apply would resume (or re-apply) the plan in %s' % plan_dir)
    else:
        check_spec(module)
        if states is not None:
            shutil.rmtree(plan_dir)
        result = planned_result(module, plan_dir, make_plan(module, plan_dir))
        if module.check_mode or not result['changed']:
            return result
    protect(module, plan_dir)
    rc, out, err = run_cli(module, ['apply', plan_dir, '--yes', '--json'], ok_codes=(0, 1, 3))
    summary = plan_summary(plan_dir)
    report = read_json(os.path.join(plan_dir, 'report.json'))
    result = dict(result or {}, changed=True, plan_dir=plan_dir, plan=summary, report=report,
                  rollback=summary['rollback'], action='resumed' if started else 'applied')
    if out is None or out.get('outcome') != 'applied':
        stopped = (out or {}).get('stopped') or {}
        for key in ('stages', 'restart_required', 'diff'):
            result.pop(key, None)
        module.fail_json(msg='pgharden apply stopped at %s: %s. Roll back with: %s (without pgharden: sh %s)' % (
            stopped.get('step'), stopped.get('reason'), summary['rollback']['command'], summary['rollback']['script']),
            stopped=stopped, drift=(out or {}).get('drift'), **result)
    return result


def rolled_back(module, plan_dir):
    states = step_states(module, plan_dir)
    if not states or all(s in ('not-started', 'reverted') for s in states.values()):
        return dict(changed=False, plan_dir=plan_dir, action='nothing_to_roll_back')
    protect(module, plan_dir)
    result = dict(changed=True, plan_dir=plan_dir, plan=plan_summary(plan_dir), action='rolled_back')
    if module.check_mode:
        return result
    args = ['rollback', plan_dir, '--json'] + (['--terminate'] if module.params['terminate'] else [])
    rc, out, err = run_cli(module, args, ok_codes=(0, 1))
    result['rolled_back'] = dict(restored=out['restored'], undone=out['undone'], kept=out['kept'])
    if rc == 1:
        module.fail_json(msg='pgharden rollback kept: %s' % '; '.join(out['kept']), **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            spec=dict(type='dict'),
            spec_file=dict(type='path'),
            plan_dir=dict(type='path'),
            name=dict(type='str', default='harden'),
            state=dict(type='str', choices=['applied', 'rolled_back'], default='applied'),
            skip_backup=dict(type='bool', default=False),
            terminate=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('spec', 'spec_file'), ('cluster', 'dsn')],
        supports_check_mode=True,
    )
    plan_dir = module.params['plan_dir'] or os.path.join('/var/lib/pgharden/plans', module.params['name'])
    plan_dir = os.path.abspath(plan_dir)
    if module.params['state'] == 'rolled_back':
        module.exit_json(**rolled_back(module, plan_dir))
    module.exit_json(**applied(module, plan_dir))


if __name__ == '__main__':
    main()
