// Loaded with `node --require` by tests/helpers/node.py into every client the tests run: the
// process may open TCP connections to 127.0.0.1 only (the test proxy and the test server).
// Any other connection, and any DNS lookup of another name, is refused before it leaves the
// process and reported on standard error as one line "kgpub-no-network: refused <what>", which
// the tests look for. Comunica's own requests all go through the test proxy; this proves it.
'use strict';

const dns = require('node:dns');
const net = require('node:net');

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

function refuse(what) {
  process.stderr.write(`kgpub-no-network: refused ${what}\n`);
  return new Error(`kgpub-no-network: connection refused by the test guard: ${what}`);
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = args[0];
  const options = Array.isArray(first) ? first[0] : first;
  let host = 'localhost';
  let port;
  if (options !== null && typeof options === 'object') {
    if (options.path !== undefined) {
      return connect.apply(this, args); // a local socket file
    }
    host = options.host ?? 'localhost';
    port = options.port;
  } else {
    port = first;
    if (typeof args[1] === 'string') {
      host = args[1];
    }
  }
  if (!LOCAL.has(String(host))) {
    const error = refuse(`${host}:${port}`);
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};

for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6']) {
  const original = dns[name];
  dns[name] = function guardedLookup(hostname, ...rest) {
    if (LOCAL.has(String(hostname))) {
      return original.call(this, hostname, ...rest);
    }
    const error = refuse(`DNS ${hostname}`);
    const callback = rest.find((arg) => typeof arg === 'function');
    if (callback) {
      process.nextTick(() => callback(error));
      return undefined;
    }
    throw error;
  };
}
