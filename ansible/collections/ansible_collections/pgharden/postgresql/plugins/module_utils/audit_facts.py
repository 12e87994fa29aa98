# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)
"""`pgharden audit --json` as facts: the audit module's result and the harden module's drift report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.pgharden.postgresql.plugins.module_utils.cli import connection_flags, run_cli

SEVERITIES = ['low', 'medium', 'high', 'critical']


def audit_facts(module, pgdata=None):
    """The live cluster's audit: server, findings, matrix, limits and the number of findings per severity."""
    args = ['audit', '--json'] + connection_flags(module)
    if pgdata:
        args += ['--pgdata', pgdata]
    # Exit 1 means findings at or above --fail-on (high): still a complete audit.
    rc, audit, err = run_cli(module, args, ok_codes=(0, 1))
    findings = audit['findings']
    counts = dict((s, sum(1 for f in findings if f['severity'] == s)) for s in SEVERITIES)
    return dict(server=audit['server'], findings=findings, matrix=audit['matrix'], limits=audit['limits'],
                counts=counts)
