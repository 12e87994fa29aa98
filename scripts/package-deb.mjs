// The .deb's control file and man page, for scripts/package.mjs.

/**
 * What pgharden runs on a database host: psql, pg_dump, pg_restore, pg_dumpall (postgresql-client,
 * through pg_wrapper of postgresql-client-common), pg_ctlcluster/pg_lsclusters (postgresql-common,
 * for Debian clusters), openssl (the scratch servers of drills and the demo), pgbackrest (only for
 * `pitr`). The executable itself needs only the C and C++ runtime.
 */
export function debControl(pkg, arch, installedKb) {
  return `${[
    'Package: pgharden',
    `Version: ${pkg.version}`,
    `Architecture: ${arch}`,
    'Maintainer: pgharden maintainers <pgharden@localhost>',
    `Installed-Size: ${installedKb}`,
    'Section: database',
    'Priority: optional',
    'Depends: libc6 (>= 2.28), libstdc++6 (>= 10), libgcc-s1, postgresql-client-common,',
    ' postgresql-client | postgresql-client-18 | postgresql-client-17 | postgresql-client-16 | postgresql-client-15 | postgresql-client-14',
    'Recommends: postgresql-common, openssl',
    'Suggests: pgbackrest, postgresql',
    `Description: ${pkg.description.replace(/\.$/, '')}`,
    ' pgharden audits a self-run PostgreSQL server, plans and applies the move from trust over',
    ' the network to least-privilege roles with scram-sha-256, verifies it with negative tests',
    ' and rolls it back in one command. This package is a single executable: it needs neither',
    ' Node.js nor npm.',
  ].join('\n')}\n`;
}

const roff = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');

/** A man page (section 1) whose body is `pgharden --help`, verbatim. */
export function manPage(pkg, help) {
  return `.TH PGHARDEN 1 "" "pgharden ${pkg.version}" "User Commands"
.SH NAME
pgharden \\- ${roff(pkg.description.replace(/\.$/, ''))}
.SH SYNOPSIS
.B pgharden
.I command
[\\fIoptions\\fR]
.SH DESCRIPTION
.nf
${roff(help.trimEnd())}
.fi
.SH SEE ALSO
Each command's own help: \\fBpgharden\\fR \\fIcommand\\fR \\fB\\-\\-help\\fR.
`;
}
