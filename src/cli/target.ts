import type { InspectOptions } from '../index.js';
import { CliError, EXIT } from './usage-errors.js';

/** The inspect flags as API options, each checked: --pg-version a supported major, --ssl on|off. */
export function inspectOptions(flags: {
  file?: string | undefined;
  dsn?: string | undefined;
  cluster?: string | undefined;
  pgVersion?: string | undefined;
  ssl?: string | undefined;
}): InspectOptions {
  const o: InspectOptions = {};
  if (flags.file !== undefined) o.file = flags.file;
  if (flags.dsn !== undefined || flags.cluster !== undefined)
    o.connection = {
      ...(flags.dsn !== undefined ? { dsn: flags.dsn } : {}),
      ...(flags.cluster !== undefined ? { cluster: flags.cluster } : {}),
    };
  if (flags.pgVersion !== undefined) {
    const major = Number(flags.pgVersion);
    if (!Number.isInteger(major) || major < 14 || major > 18)
      throw new CliError(`--pg-version "${flags.pgVersion}" is not a supported major (14 to 18)`, EXIT.usage);
    o.pgVersion = major;
  }
  if (flags.ssl !== undefined) {
    if (flags.ssl !== 'on' && flags.ssl !== 'off')
      throw new CliError(`--ssl takes "on" or "off", not "${flags.ssl}"`, EXIT.usage);
    o.ssl = flags.ssl === 'on';
  }
  return o;
}
