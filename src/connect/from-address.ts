import { Socket } from 'node:net';
import pg from 'pg';
import { keepErrors } from './lost-connection.js';

/**
 * A pg client whose TCP connection leaves from `localAddress` (any of 127.0.0.0/8 on Linux), so
 * a test or the demo can act as "a device on the VPN" without any network beyond loopback.
 */
export function clientFrom(localAddress: string, config: pg.ClientConfig): pg.Client {
  return keepErrors(
    new pg.Client({
      ...config,
      stream: () => {
        const socket = new Socket();
        const connect = socket.connect.bind(socket);
        // pg calls connect(port, host); add the source address it has no option for.
        (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) =>
          connect({ port, host, localAddress });
        return socket;
      },
    }),
  );
}
