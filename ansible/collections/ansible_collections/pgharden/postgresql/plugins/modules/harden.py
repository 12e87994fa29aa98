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
  - The spec is the desired state. Every run plans the difference between the live cluster and
    the spec (C(pgharden plan) plans only the delta on a cluster hardened before) and applies it;
    C(changed) only when that plan has steps; a cluster that already matches the spec is C(ok)
    (C(action=unchanged)) and nothing is written. The first plan goes in I(plan_dir), each later
    delta in I(plan_dir)C(.2), I(plan_dir)C(.3), ...
  - In check mode the delta and its review come from C(pgharden plan --check), which computes them
    in memory and writes nothing on the host, not even for a moment (no plan, no secrets file, no
    temporary file). C(changed) when the delta has steps that change something (returned as
    C(changes)). With C(--diff) the diffs of C(pg_hba.conf), C(postgresql.conf) and every consumer
    file are shown, passwords as C(<redacted>).
  - A plan whose apply was interrupted or failed is resumed (a rolled-back one is applied again)
    before anything new is planned. A plan that an earlier run made but never started is applied
    when it still fits the cluster; otherwise the task fails and leaves it as it is (the module
    never removes a plan it did not make in the same run).
  - A failed step or check fails the task with the report and the rollback line; the plan stays
    in its directory for C(state=rolled_back).
  - The connection string never appears in a command line on the host (C(/proc/PID/cmdline) is
    readable by every user); it reaches the CLI in its environment, as C(PGHARDEN_DSN).
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
      - C(applied) finishes a plan under way, else plans the delta to the spec and applies it.
      - C(rolled_back) runs C(pgharden rollback) on every plan of I(plan_dir) that left something on the
        host, the newest delta first (files back byte for byte, roles dropped); nothing to undo is
        C(changed=false).
    type: str
    choices: [applied, rolled_back]
    default: applied
  skip_backup:
    description:
      - Leave out the verified backup (dumps restored and compared) that the plan's preflight takes.
        The plan and its report record the omission.
    type: bool
    default: false
  audit:
    description:
      - After the run, audit the live cluster (C(pgharden audit)) and return the findings as the fact
        C(pgharden_audit) (server, findings, matrix, limits, counts per severity), the same as the
        C(pgharden.postgresql.audit) module, a drift report of what the spec does not cover or what
        changed by hand. Read-only; also in check mode.
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
        PATH; a list is the argv prefix (for example C([/usr/bin/node, /opt/pgharden/dist/bin/pgharden.js])).
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
  description: What the module did (planned, applied, resumed, unchanged, rolled_back, nothing_to_roll_back); unchanged is a cluster in sync with the spec.
  returned: always
  type: str
  sample: applied
changes:
  description: In check mode, the steps of the delta that change something (id, description).
  returned: in check mode, when the cluster does not match the spec
  type: list
  elements: dict
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
plans:
  description: The plan directories rolled back, newest first.
  returned: when state is rolled_back and something was undone
  type: list
  elements: str
audit:
  description: With I(audit=true), the live cluster's audit (also set as the fact C(pgharden_audit)).
  returned: when audit is true
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
from ansible_collections.pgharden.postgresql.plugins.module_utils.audit_facts import audit_facts
from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import (
    CONNECTION_ARGS, connection_flags, last_lines, protect, read_json, run_cli)
from ansible_collections.pgharden.postgresql.plugins.module_utils.diff import ansible_diffs
from ansible_collections.pgharden.postgresql.plugins.module_utils.plan_state import (
    check_spec, next_plan_dir, plan_series, plan_summary, step_states)


def make_plan(module, plan_dir, check=False):
    """pgharden plan into plan_dir (the spec dict goes through a 0600 file in the module's own
    temporary directory, removed after; it holds no secret). Returns the review, or
    {"nothingToDo": true} when the cluster already matches the spec (the CLI then writes no plan
    directory). With check, pgharden plan --check: the same review, and nothing written."""
    p = module.params
    tmp = None
    spec_file = p['spec_file']
    if p['spec'] is not None:
        tmp = tempfile.mkdtemp(prefix='pgharden-spec-', dir=module.tmpdir)
        spec_file = os.path.join(tmp, 'harden.json')
        with os.fdopen(os.open(spec_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as f:
            json.dump(p['spec'], f)
    try:
        args = ['plan', '--spec', spec_file, '--out', plan_dir, '--json'] + connection_flags(module)
        if check:
            args.append('--check')
        if p['skip_backup']:
            args.append('--skip-backup')
        rc, review, err = run_cli(module, args, ok_codes=(0,))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if review is None:
        module.fail_json(msg='pgharden plan printed nothing: %s' % last_lines(err))
    if not check and not review.get('nothingToDo'):
        protect(module, plan_dir)
    return review


def planned_result(module, plan_dir, review):
    summary = plan_summary(plan_dir)
    result = dict(changed=bool(summary['steps']), plan_dir=plan_dir, action='planned', plan=summary,
                  stages=review['stages'], restart_required=review['restartRequired'], rollback=summary['rollback'])
    if module._diff:
        result['diff'] = ansible_diffs(review['diffs'])
    return result


def planned_in_check_mode(module, plan_dir):
    """The delta a real run would plan, from pgharden plan --check: the plan and its review are
    computed in memory and nothing is written on the host (no plan, no secret, not even for a
    moment). None when the cluster already matches the spec."""
    review = make_plan(module, plan_dir, check=True)
    if review.get('nothingToDo'):
        return None
    steps = sum(len(st['steps']) for st in review['stages'])
    result = dict(changed=bool(review['changes']), plan_dir=plan_dir, action='planned', plan=dict(steps=steps),
                  changes=review['changes'], stages=review['stages'], restart_required=review['restartRequired'])
    if module._diff:
        result['diff'] = ansible_diffs(review['diffs'])
    return result


def in_sync(plan_dir):
    """The cluster matches the spec: nothing planned, nothing written."""
    result = dict(changed=False, plan_dir=plan_dir, action='unchanged')
    if os.path.exists(os.path.join(plan_dir, 'plan.json')):
        summary = plan_summary(plan_dir)
        result.update(plan=summary, rollback=summary['rollback'],
                      report=read_json(os.path.join(plan_dir, 'report.json')))
    return result


def unstarted(module, plan_dir):
    """A plan an earlier run made and never applied (a failed run, a plan made by hand). It is not
    this run's to remove: it is applied when it still fits the cluster, else left as it is."""
    rc, review, err = run_cli(module, ['review', plan_dir, '--json'], ok_codes=(0, 3))
    if review is None:
        module.fail_json(msg='pgharden review %s failed (exit %d): %s' % (plan_dir, rc, last_lines(err)))
    protect(module, plan_dir)
    if review['drift']:
        module.fail_json(
            msg='%s holds a plan that was never applied, made from an earlier state of the cluster (%s); it is left '
                'as it is. Remove it (rm -r %s) and run again to plan from the current state'
                % (plan_dir, '; '.join('%s: planned %s, now %s' % (d['item'], d['planned'], d['now'])
                                       for d in review['drift']), plan_dir),
            plan_dir=plan_dir, drift=review['drift'])
    result = planned_result(module, plan_dir, review)
    if module.check_mode or not result['changed']:
        return result
    return apply_plan(module, plan_dir, result, resumed=False)


def apply_plan(module, plan_dir, result, resumed):
    if module.check_mode:
        return dict(changed=True, plan_dir=plan_dir, action='resumed', plan=plan_summary(plan_dir),
                    msg='check mode: apply would resume (or re-apply) the plan in %s' % plan_dir)
    protect(module, plan_dir)
    rc, out, err = run_cli(module, ['apply', plan_dir, '--yes', '--json'], ok_codes=(0, 1, 3))
    summary = plan_summary(plan_dir)
    report = read_json(os.path.join(plan_dir, 'report.json'))
    result = dict(result or {}, changed=True, plan_dir=plan_dir, plan=summary, report=report,
                  rollback=summary['rollback'], action='resumed' if resumed else 'applied')
    if out is None or out.get('outcome') != 'applied':
        stopped = (out or {}).get('stopped') or {}
        for key in ('stages', 'restart_required', 'diff'):
            result.pop(key, None)
        module.fail_json(msg='pgharden apply stopped at %s: %s. Roll back with: %s (without pgharden: sh %s)' % (
            stopped.get('step'), stopped.get('reason'), summary['rollback']['command'], summary['rollback']['script']),
            stopped=stopped, drift=(out or {}).get('drift'), **result)
    return result


def applied(module, plan_dir):
    """The spec as the desired state: finish a plan that is under way, else plan the delta
    between the live cluster and the spec (changed only when it has steps) and apply it."""
    series = plan_series(plan_dir)
    latest = series[-1] if series else None
    states = step_states(module, latest) if latest else None
    if states and not all(s == 'done' for s in states.values()):
        if any(s != 'not-started' for s in states.values()):
            return apply_plan(module, latest, None, resumed=True)
        return unstarted(module, latest)
    check_spec(module)
    target = next_plan_dir(plan_dir, series)
    if module.check_mode:
        return planned_in_check_mode(module, target) or in_sync(latest or plan_dir)
    review = make_plan(module, target)
    if review.get('nothingToDo'):
        return in_sync(latest or plan_dir)
    result = planned_result(module, target, review)
    if not result['changed']:
        return result
    return apply_plan(module, target, result, resumed=False)


def rolled_back(module, plan_dir):
    """Every plan of plan_dir's series that left something on the host, newest first."""
    todo = []
    for d in reversed(plan_series(plan_dir)):
        states = step_states(module, d)
        if states and not all(s in ('not-started', 'reverted') for s in states.values()):
            todo.append(d)
    if not todo:
        return dict(changed=False, plan_dir=plan_dir, action='nothing_to_roll_back')
    result = dict(changed=True, plan_dir=plan_dir, plan=plan_summary(todo[-1]), action='rolled_back', plans=todo)
    if module.check_mode:
        return result
    done = dict(restored=[], undone=[], kept=[])
    result['rolled_back'] = done
    for d in todo:
        protect(module, d)
        args = ['rollback', d, '--json'] + (['--terminate'] if module.params['terminate'] else [])
        rc, out, err = run_cli(module, args, ok_codes=(0, 1))
        for key in done:
            done[key].extend(out[key])
        if rc == 1:
            module.fail_json(msg='pgharden rollback of %s kept: %s' % (d, '; '.join(out['kept'])), **result)
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
            audit=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('spec', 'spec_file'), ('cluster', 'dsn')],
        supports_check_mode=True,
    )
    plan_dir = module.params['plan_dir'] or os.path.join('/var/lib/pgharden/plans', module.params['name'])
    plan_dir = os.path.abspath(plan_dir)
    if module.params['state'] == 'rolled_back':
        result = rolled_back(module, plan_dir)
    else:
        result = applied(module, plan_dir)
    if module.params['audit']:
        facts = audit_facts(module)
        result.update(audit=facts, ansible_facts=dict(pgharden_audit=facts))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
