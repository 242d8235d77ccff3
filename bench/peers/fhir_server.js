// The peer FHIR intake: what a team would stand up in Node to take the same
// Bundle POST, with @asymmetrik/node-fhir-server-core set up minimally (its
// own middleware: compression, body-parser JSON, prototype-injection check,
// argument sanitising, helmet, CORS) behind a bearer token checked the way the
// gateway checks one (SHA-256 of the token against the configured hash).
// POST /4_0_0/Bundle builds the library's R4 Bundle model from the body and
// keeps it: in memory (the default), or with --durable appended to a file and
// fdatasync'd before the 201, as the gateway's store is.
//
// Usage: node fhir_server.js --cert FILE --key FILE --token-sha256 HEX [--durable FILE]
// Listens on 127.0.0.1, port 0, and prints "listening on https://127.0.0.1:PORT".
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const path = require('path');
const { initialize, resolveSchema, constants } = require('@asymmetrik/node-fhir-server-core');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const required of ['cert', 'key', 'token-sha256']) {
  if (!args[required]) {
    console.error(`fhir_server.js: --${required} is required`);
    process.exit(2);
  }
}

// The library loads its authentication from a file: bearer_strategy.js.
process.env.BENCH_TOKEN_SHA256 = args['token-sha256'];

// The store: a bounded in-memory map (the oldest dropped past 10,000 so a long
// run stays within memory), or an append-only file synced before each answer.
const kept = new Map();
const durable = args.durable ? fs.openSync(args.durable, 'a') : null;

const bundleService = {
  create: async (params, { req }) => {
    const Bundle = resolveSchema(params.base_version, 'bundle');
    const bundle = new Bundle(req.body);  // the library's model: each element typed and checked by name
    if (bundle.resourceType !== 'Bundle' || !Array.isArray(bundle.entry) || bundle.entry.length === 0) {
      throw new Error('not a Bundle with entries');
    }
    const id = crypto.randomUUID();
    const stored = JSON.stringify(bundle.toJSON());
    if (durable !== null) {
      await new Promise((resolve, reject) => fs.write(durable, stored + '\n', (err) => (err ? reject(err) : resolve())));
      await new Promise((resolve, reject) => fs.fdatasync(durable, (err) => (err ? reject(err) : resolve())));
    } else {
      kept.set(id, stored);
      if (kept.size > 10000) kept.delete(kept.keys().next().value);
    }
    return { id };
  },
};

const config = {
  profiles: {
    bundle: { service: bundleService, versions: [constants.VERSIONS['4_0_0']] },
  },
  auth: { strategy: { name: 'bearer', service: path.join(__dirname, 'bearer_strategy.js'), useSession: false } },
  server: { ssl: { cert: args.cert, key: args.key } },
  logging: { level: 'error' },
};

const server = initialize(config);
// What the library's listen() does (an https server over its express app),
// done here so that port 0 can be asked for and the port read back.
const listener = https.createServer({ cert: fs.readFileSync(args.cert), key: fs.readFileSync(args.key) }, server.app);
listener.keepAliveTimeout = 120000;  // as the gateway's bench config: wrk's connections stay open
listener.listen(0, '127.0.0.1', () => {
  console.log(`listening on https://127.0.0.1:${listener.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
