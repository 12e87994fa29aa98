/**
 * The name a cluster goes by in the metrics file and the audit: Debian's `15/main` when its
 * configuration lives under /etc/postgresql, else `pg15-5432` (major and port), which is unique
 * on one host. Every pgharden_pitr_* and pgharden_drill_* sample carries it, so two clusters on
 * one host never read each other's backups and drills.
 */

/** `15/main` for /etc/postgresql/15/main/postgresql.conf; else `pg<major>-<port>`. */
export function clusterLabel(configFile: string | null, major: number, port: number): string {
  const debian = configFile ? /^\/etc\/postgresql\/([^/]+)\/([^/]+)\/postgresql\.conf$/.exec(configFile) : null;
  return debian ? `${debian[1]}/${debian[2]}` : `pg${major}-${port}`;
}

/**
 * The SQL that reads what `clusterLabel` needs, as columns `config_file`, `num`, `port`.
 * config_file is read through pg_settings: current_setting() raises 42501 for a role without
 * pg_read_all_settings, where the view gives no row (the label then falls back to major and port).
 */
export const CLUSTER_LABEL_SQL =
  "SELECT (SELECT setting FROM pg_settings WHERE name = 'config_file') AS config_file, current_setting('server_version_num') AS num, current_setting('port') AS port";

/** `clusterLabel` of the row `CLUSTER_LABEL_SQL` returns. */
export const clusterLabelOf = (r: { config_file: string | null; num: string; port: string }) =>
  clusterLabel(r.config_file, Math.floor(Number(r.num) / 10000), Number(r.port));
