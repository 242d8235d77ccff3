// The peer translator: FHIR.js (the npm package `fhir`) converting FHIR JSON
// text to FHIR XML, one document at a time, as a Node service would. Each run
// converts the same document for about SECONDS and prints one line,
// "fhirjs-run run=N documents=D seconds=S cpu_seconds=C input_bytes=B output_bytes=O",
// for bench/peers/translate.sh (C: the process's CPU time, user and system,
// which a busy shared machine disturbs less than the wall clock).
// A warm-up run (not printed) lets V8 optimise first.
//
// Usage: node fhirjs_translate.js FILE SECONDS RUNS
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');

const [file, secondsArg, runsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node fhirjs_translate.js FILE SECONDS RUNS');
  process.exit(2);
}
const seconds = Number(secondsArg || 1);
const runs = Number(runsArg || 1);
const text = fs.readFileSync(file, 'utf8');
const inputBytes = Buffer.byteLength(text);
const fhir = new Fhir();

function run(limitSeconds) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const limit = BigInt(Math.round(limitSeconds * 1e9));
  let documents = 0;
  let outputBytes = 0;
  // At least one document, however long it takes: a figure needs one.
  do {
    outputBytes = fhir.jsonToXml(text).length;
    documents += 1;
  } while (process.hrtime.bigint() - start < limit);
  const cpu = process.cpuUsage(cpuStart);
  return { documents, seconds: Number(process.hrtime.bigint() - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, outputBytes };
}

run(Math.min(1, seconds));
for (let r = 1; r <= runs; r += 1) {
  const result = run(seconds);
  console.log(`fhirjs-run run=${r} documents=${result.documents} seconds=${result.seconds.toFixed(4)} ` +
              `cpu_seconds=${result.cpuSeconds.toFixed(4)} ` +
              `input_bytes=${inputBytes} output_bytes=${result.outputBytes}`);
}
