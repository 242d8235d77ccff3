// The peer FHIR server's authentication (fhir_server.js), in the form
// node-fhir-server-core loads: a passport strategy that accepts the bearer
// token whose SHA-256 is BENCH_TOKEN_SHA256, as the gateway checks its tokens.
'use strict';
const crypto = require('crypto');
const BearerStrategy = require('passport-http-bearer').Strategy;

module.exports.strategy = new BearerStrategy((token, done) => {
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  done(null, hash === process.env.BENCH_TOKEN_SHA256 ? { client: 'bench-epr' } : false);
});
