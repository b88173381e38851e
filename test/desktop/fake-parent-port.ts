// Loaded with `node --import` before src/desktop/core-process.ts, in place of Electron:
// gives the process a `parentPort` that writes each posted message to standard output as
// one JSON line and delivers each JSON line of standard input as a message.
import { createInterface } from 'node:readline';

const parentPort = {
  postMessage(message: unknown): void {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  },
  on(_event: 'message', listener: (event: { data: unknown }) => void): void {
    createInterface({ input: process.stdin }).on('line', (line) => {
      listener({ data: JSON.parse(line) as unknown });
    });
  },
};

Object.assign(process, { parentPort });
