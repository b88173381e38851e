/**
 * A minimal SMTP sink for when Postfix's smtp-sink is unavailable: it accepts every
 * command and every message and discards the data. Usage: node-sink.ts HOST:PORT [BACKLOG].
 * It exits on SIGTERM or after one hour.
 */
import net from 'node:net';

const [address = '127.0.0.1:2525', backlog = '256'] = process.argv.slice(2);
const colon = address.lastIndexOf(':');
const host = address.slice(0, colon);
const port = Number(address.slice(colon + 1));

const server = net.createServer((socket) => {
  let inData = false;
  let pending = '';
  socket.write('220 node-sink ESMTP\r\n');
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = pending.indexOf('\r\n.\r\n');
        if (end < 0) {
          // Keep only what could still be the start of the end marker.
          pending = pending.slice(-4);
          return;
        }
        pending = pending.slice(end + 5);
        inData = false;
        socket.write('250 2.0.0 Ok: discarded\r\n');
        continue;
      }
      const newline = pending.indexOf('\r\n');
      if (newline < 0) return;
      const verb = pending.slice(0, 4).toUpperCase();
      pending = pending.slice(newline + 2);
      if (verb === 'DATA') {
        inData = true;
        // The end marker may follow the DATA line directly, for an empty message.
        pending = `\r\n${pending}`;
        socket.write('354 End data with <CR><LF>.<CR><LF>\r\n');
      } else if (verb === 'QUIT') {
        socket.end('221 2.0.0 Bye\r\n');
        return;
      } else if (verb === 'EHLO') {
        socket.write('250-node-sink\r\n250 PIPELINING\r\n');
      } else {
        socket.write('250 2.0.0 Ok\r\n');
      }
    }
  });
  socket.on('error', () => socket.destroy());
});

server.listen({ host, port, backlog: Number(backlog) });
const stop = (): void => {
  server.close();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
setTimeout(stop, 3_600_000).unref();
