// SPDX-License-Identifier: GPL-3.0-or-later
//
// The yardstick of bench-pouchdb: the same documents replicated by PouchDB
// to pouchdb-server (a push from a device that holds them), then from the
// server to a new, empty PouchDB (a restore). Both sides store on disk
// (LevelDB), as our logbook and server store in SQLite.
//
// node bench.js DOCS.json WORKDIR   prints one JSON line:
//   {"docs":N,"push_s":…,"restore_s":…}
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const PouchDB = require('pouchdb-node');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = srv.address().port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitUp(url) {
  for (let i = 0; i < 600; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch (e) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pouchdb-server did not start: ' + url);
}

async function main() {
  const [docsPath, work] = process.argv.slice(2);
  const docs = JSON.parse(fs.readFileSync(docsPath, 'utf8'));
  const port = await freePort();
  const serverDir = path.join(work, 'server');
  fs.mkdirSync(serverDir, { recursive: true });

  const bin = require.resolve('pouchdb-server/bin/pouchdb-server');
  const server = spawn(process.execPath, [bin, '--port', String(port), '--dir', serverDir,
                                          '--no-stdout-logs'],
                       { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}/`;
  try {
    await waitUp(base);

    // The device already holds the documents, as the logbook does before
    // its first sync: writing them is not part of the measure.
    const device = new PouchDB(path.join(work, 'device'));
    for (let i = 0; i < docs.length; i += 1000)
      await device.bulkDocs(docs.slice(i, i + 1000));

    const remote = new PouchDB(base + 'records');
    await remote.info(); // creates the database before the clock starts

    let t = process.hrtime.bigint();
    const up = await device.replicate.to(remote, { batch_size: 100 });
    const push = Number(process.hrtime.bigint() - t) / 1e9;
    if (up.docs_written !== docs.length)
      throw new Error(`pushed ${up.docs_written} of ${docs.length}`);

    const fresh = new PouchDB(path.join(work, 'fresh'));
    t = process.hrtime.bigint();
    const down = await fresh.replicate.from(remote, { batch_size: 100 });
    const restore = Number(process.hrtime.bigint() - t) / 1e9;
    if (down.docs_written !== docs.length)
      throw new Error(`restored ${down.docs_written} of ${docs.length}`);

    await device.close();
    await fresh.close();
    console.log(JSON.stringify({ docs: docs.length, push_s: push, restore_s: restore }));
  } finally {
    server.kill('SIGTERM');
  }
}

main().catch((e) => {
  console.error('bench.js:', e.message);
  process.exit(1);
});
