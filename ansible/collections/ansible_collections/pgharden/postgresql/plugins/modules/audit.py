#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: audit
short_description: Audit a PostgreSQL cluster's authentication with pgharden (read-only)
version_added: "0.1.0"
description:
  - Runs C(pgharden audit --json) on the managed host and returns every finding (with its
    C(file:line) evidence, why it matters and the plan stage that fixes it) and the connection
    matrix (network source by login role, and the method each gets), also as the fact
    C(pgharden_audit).
  - Never changes anything, so it runs in check mode too and is never C(changed).
author:
  - pgharden contributors (@pgharden)
options:
  cluster:
    description:
      - A Debian cluster as C(VERSION/NAME), for example C(15/main). Mutually exclusive with I(dsn).
        With neither, the libpq environment names the server.
    type: str
  dsn:
    description:
      - A libpq connection string (URI or keyword/value). Use the local socket (for example
        C(host=/var/run/postgresql port=5432 user=postgres)), because a hardened server refuses superusers
        over TCP. Never logged or returned (C(no_log)).
    type: str
  pgdata:
    description:
      - The data directory, when the server cannot tell (pgharden reads the configuration files there).
    type: path
  fail_on:
    description:
      - Fail the task when a finding is at or above this severity. By default the task only reports.
    type: str
    choices: [low, medium, high, critical]
  pgharden_bin:
    description:
      - How to run the CLI. A command on PATH or a path; a C(.js) file runs with the C(node) on
        PATH; a list is the argv prefix.
    type: list
    elements: str
    default: [pgharden]
notes:
  - Run as root (C(become)) or as the server's OS user on the server's host, so pgharden can read
    the configuration files; what it cannot see is listed in C(limits).
  - Supports C(check_mode).
seealso:
  - module: pgharden.postgresql.harden
'''

EXAMPLES = r'''
- name: Audit the Debian cluster
  pgharden.postgresql.audit:
    cluster: 15/main
  register: audit

- name: Show the critical findings
  ansible.builtin.debug:
    msg: "{{ audit.findings | selectattr('severity', 'equalto', 'critical') | map(attribute='title') | list }}"

- name: Fail when anything high or critical is left
  pgharden.postgresql.audit:
    dsn: "host=/var/run/postgresql port=5432 user=postgres"
    fail_on: high
'''

RETURN = r'''
server:
  description: The server's version, major, system identifier and the role pgharden connected as.
  returned: always
  type: dict
  sample: {"version": "15.10", "major": 15, "systemIdentifier": "7312...", "connectedAs": "postgres"}
findings:
  description: Every finding, with id, severity, title, evidence, why and fix.
  returned: always
  type: list
  elements: dict
matrix:
  description: The connection matrix (database, sources, roles and the method in each cell).
  returned: always
  type: dict
limits:
  description: What pgharden could not see (for example an unreadable file).
  returned: always
  type: list
  elements: str
counts:
  description: The number of findings per severity.
  returned: always
  type: dict
  sample: {"critical": 2, "high": 3, "medium": 4, "low": 1}
ansible_facts:
  description: C(pgharden_audit) with server, findings, matrix, limits and counts.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import CONNECTION_ARGS
from ansible_collections.pgharden.postgresql.plugins.module_utils.audit_facts import SEVERITIES, audit_facts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGS,
            pgdata=dict(type='path'),
            fail_on=dict(type='str', choices=SEVERITIES),
        ),
        mutually_exclusive=[('cluster', 'dsn')],
        supports_check_mode=True,
    )
    facts = audit_facts(module, module.params['pgdata'])
    findings = facts['findings']
    result = dict(facts, changed=False, ansible_facts=dict(pgharden_audit=facts))
    fail_on = module.params['fail_on']
    if fail_on:
        above = [f for f in findings if SEVERITIES.index(f['severity']) >= SEVERITIES.index(fail_on)]
        if above:
            module.fail_json(msg='%d finding(s) at or above %s: %s' % (
                len(above), fail_on, '; '.join('[%s] %s' % (f['id'], f['title']) for f in above)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
