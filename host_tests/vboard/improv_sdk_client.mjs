// Drives npm improv-wifi-serial-sdk's ImprovSerial (the client ESP Web Tools uses) against a board's serial
// port under Node, the way ESP Web Tools' provisioning dialog does: initialize(10000), a scan subscription
// until the first list, then provision(ssid, password, 45000) for each password given, the scan
// resumed after a failure. The browser's Web Serial port is stood in for by the port file opened with
// Node streams (a raw pty here). One JSON object per line on stdout:
//   {"step": "info", ...} {"step": "networks", ...} {"step": "provision", "ok": ..., "error"|"nextUrl"}
//
// Usage: node improv_sdk_client.mjs PORT SSID PASSWORD [PASSWORD ...]

import fs from 'node:fs';
import {register} from 'node:module';
import {Readable, Writable} from 'node:stream';
import tty from 'node:tty';

// The SDK's dist/serial.js imports "./util/hex-formatter" without ".js", which browsers' bundlers
// accept and Node's ES module loader does not: retry such a relative import with the extension.
register('data:text/javascript,' + encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.startsWith('.')) throw err;
    return next(specifier + '.js', context);
  }
}`));

const {ImprovSerial} = await import('improv-wifi-serial-sdk/dist/serial.js');

const [portPath, ssid, ...passwords] = process.argv.slice(2);

function say(object) {
  process.stdout.write(JSON.stringify(object) + '\n');
}

/** What navigator.serial's SerialPort gives the SDK once opened: a readable and a writable byte stream.
 * The port is a terminal, read through libuv's tty handle (raw), not the file thread pool, whose
 * blocked read would keep Node from exiting. */
function openPort(path) {
  const fd = fs.openSync(path, 'r+');
  const input = new tty.ReadStream(fd);
  input.setRawMode(true);
  const output = new tty.WriteStream(fd);
  return {
    readable: Readable.toWeb(input),
    writable: Writable.toWeb(output),
    close() {
      input.destroy();
      output.destroy();
    },
  };
}

/** One scan subscription until the first list, then unsubscribed, as the dialog's form does. */
async function firstNetworks(client) {
  let stop;
  const networks = await new Promise((resolve) => {
    stop = client.subscribeSSIDs(resolve);
  });
  await stop();
  return networks;
}

const logger = {
  log: () => {},
  debug: () => {},
  error: (...args) => process.stderr.write('sdk error: ' + args.map(String).join(' ') + '\n'),
};

const port = openPort(portPath);
let code = 0;
try {
  const client = new ImprovSerial(port, logger);
  client.addEventListener('state-changed', (event) => say({step: 'state', state: event.detail}));
  const info = await client.initialize(10000);
  say({step: 'info', ...info, state: client.state});
  for (const password of passwords) {
    say({step: 'networks', networks: await firstNetworks(client)});
    try {
      await client.provision(ssid, password, 45000);
      say({step: 'provision', ok: true, nextUrl: client.nextUrl ?? null});
      break;
    } catch (err) {
      say({step: 'provision', ok: false, error: String(err)});
    }
  }
  await client.close();
} catch (err) {
  say({step: 'failed', error: String(err && err.message || err)});
  code = 1;
}
port.close();
process.exit(code);
