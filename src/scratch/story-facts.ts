/** The story's constants, apart from the cluster code, so that importing them costs nothing. */

/** The "office VPN": a loopback range, so the demo never leaves this machine. */
export const VPN_RANGE = '127.10.0.0/16';
/** A device on that VPN. */
export const VPN_DEVICE = '127.10.0.7';

export const STORY_HBA = `# PostgreSQL Client Authentication Configuration File
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            trust
# The office VPN: every laptop, phone and agent box can reach the database.
host    all             all             ${VPN_RANGE}           trust
# IPv6 local connections:
host    all             all             ::1/128                 trust
`;
