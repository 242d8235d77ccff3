// Validates FHIR R4 resources with FHIR.js (the npm package `fhir`), an
// implementation independent of carebridge: structure, cardinality, types and
// required codes against the R4 StructureDefinitions. Unknown elements are
// errors. Usage: node validate.js [--expect-invalid] FILE...
// A file ending in .ndjson holds one resource per line.
'use strict';
const fs = require('fs');
const { Fhir } = require('fhir');

const args = process.argv.slice(2);
const expectInvalid = args[0] === '--expect-invalid';
const files = expectInvalid ? args.slice(1) : args;
const fhir = new Fhir();
let unexpected = 0;
let checked = 0;

for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const documents = file.endsWith('.ndjson') ? text.split('\n').filter(Boolean) : [text];
  documents.forEach((doc, i) => {
    const result = fhir.validate(JSON.parse(doc), { errorOnUnexpected: true });
    const errors = result.messages.filter((m) => m.severity === 'error');
    const name = documents.length > 1 ? `${file}[${i}]` : file;
    checked++;
    if (result.valid === expectInvalid) {
      unexpected++;
      console.log(`${name}: ${result.valid ? 'valid, but it should not be' : 'INVALID'}`);
    } else {
      console.log(`${name}: ${result.valid ? 'valid' : 'invalid as expected'} (${errors.length} errors)`);
    }
    for (const m of errors.slice(0, 20)) console.log(`  ${m.location}: ${m.message}`);
  });
}
if (checked === 0) {
  console.log('nothing to validate');
  process.exit(1);
}
process.exit(unexpected ? 1 : 0);
