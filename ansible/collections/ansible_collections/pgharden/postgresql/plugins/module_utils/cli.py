# -*- coding: utf-8 -*-
# Copyright: pgharden contributors
# MIT License (see LICENSE or https://opensource.org/licenses/MIT)
"""The pgharden CLI as the modules run it: argv, JSON output, secrets kept out of results."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil

# Options every module shares: how to find the CLI and how to reach the server.
CONNECTION_ARGS = dict(
    pgharden_bin=dict(type='list', elements='str', default=['pgharden']),
    cluster=dict(type='str'),
    dsn=dict(type='str', no_log=True),
)

# A password inside a connection string or a config line that is not pgharden's own secret
# (e.g. a consumer's old DSN): URI user info, keyword/value, JSON/YAML/INI/.env keys.
_PASSWORD_PATTERNS = (
    re.compile(r'(://[^:/@\s]*:)([^@\s]+)(@)'),
    re.compile(r'''(password["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s"',;}]+)()''', re.IGNORECASE),
)


def redact_passwords(text):
    """Text with any password in a connection string or a password key replaced by <redacted>."""
    for pattern in _PASSWORD_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + '<redacted>' + m.group(3), text)
    return text


def cli_argv(module):
    """The argv prefix that runs pgharden: a .js file runs with the node on PATH."""
    argv = list(module.params['pgharden_bin'])
    if len(argv) == 1 and argv[0].endswith('.js'):
        node = shutil.which('node') or shutil.which('nodejs')
        if node is None:
            module.fail_json(msg='pgharden_bin "%s" is a JavaScript file but no node is on PATH; '
                                 'install Node.js 20 or give pgharden_bin as [/path/to/node, %s]'
                                 % (argv[0], argv[0]))
        argv.insert(0, node)
    return argv


def connection_flags(module):
    """--cluster, as given. The dsn never goes in argv (every user of the host can read a process's
    command line in /proc/PID/cmdline): run_cli passes it as PGHARDEN_DSN, see connection_env."""
    if module.params.get('cluster') and not module.params.get('dsn'):
        return ['--cluster', module.params['cluster']]
    return []


def connection_env(module):
    """The child's environment: the dsn (and so any password in it) as PGHARDEN_DSN, which the CLI
    takes like --dsn; an inherited PGHARDEN_DSN is emptied (the CLI ignores an empty one) when the
    task names no dsn. Only the same OS user and root can read a process's environment."""
    return dict(NO_COLOR='1', PGHARDEN_DSN=module.params.get('dsn') or '')


def last_lines(text, n=12):
    return '\n'.join(text.strip().splitlines()[-n:])


def run_cli(module, args, ok_codes=(0,), want_json=True):
    """Runs pgharden ARGS; returns (code, parsed stdout or None, stderr). Fails the task on
    any other exit code with the CLI's own message (it names the file, the thing and the next step)."""
    cmd = cli_argv(module) + args
    try:
        rc, out, err = module.run_command(cmd, environ_update=connection_env(module))
    except OSError as e:
        module.fail_json(msg='Cannot run pgharden (%s): %s; set pgharden_bin to the CLI' % (cmd[0], e))
    if rc == 127 or (rc == 2 and 'No such file' in err and not out):
        module.fail_json(msg='Cannot run pgharden (%s): %s; set pgharden_bin to the CLI' % (cmd[0], last_lines(err)))
    if rc not in ok_codes:
        module.fail_json(msg='pgharden %s failed (exit %d): %s' % (args[0], rc, last_lines(err) or last_lines(out)),
                         rc=rc, command=args[0])
    data = None
    if want_json and out.strip():
        try:
            data = json.loads(out)
        except ValueError:
            module.fail_json(msg='pgharden %s printed no JSON (exit %d): %s' % (args[0], rc, last_lines(err or out)),
                             rc=rc)
    return rc, data, err


def read_json(path):
    """The parsed JSON file, or None when it does not exist."""
    try:
        with open(path) as f:
            return json.load(f)
    except IOError:
        return None


def plan_secrets(plan_dir):
    """Every password and verifier in the plan's 0600 secrets file (empty when there is none)."""
    secrets = read_json(os.path.join(plan_dir, 'secrets')) or {}
    values = set()
    for role in (secrets.get('roles') or {}).values():
        for key in ('password', 'verifier'):
            if role.get(key):
                values.add(role[key])
    if secrets.get('planKey'):
        values.add(secrets['planKey'])
    return values


def protect(module, plan_dir):
    """Ansible masks these values in every result it prints, logs or returns."""
    for value in plan_secrets(plan_dir):
        module.no_log_values.add(value)
