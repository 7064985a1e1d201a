// Runs OpenAPS oref0's own IOB summation (lib/iob/total.js with lib/iob/calculate.js) on the
// treatments t2pump's benchmark writes, and times it inside node (start-up excluded).
// Usage: node oref0_iob_runner.js <oref0 checkout> <input.json> <output.json>
'use strict';
const fs = require('fs');
const path = require('path');
const [oref0Dir, inputPath, outputPath] = process.argv.slice(2);
const total = require(path.join(oref0Dir, 'lib/iob/total'));
const calculate = require(path.join(oref0Dir, 'lib/iob/calculate'));
const input = JSON.parse(fs.readFileSync(inputPath, 'utf8'));
const profile = { dia: input.dia_h, curve: input.curve };
const t0 = Date.parse('2024-01-01T00:00:00Z');
const start = process.hrtime.bigint();
const iob = input.patients.map((doses) => {
  const treatments = doses.map(([t, u]) => ({ insulin: u, date: t0 + t * 60000 }));
  return input.times_min.map((t) => total({ treatments, profile, calculate }, new Date(t0 + t * 60000)).iob);
});
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
fs.writeFileSync(outputPath, JSON.stringify({ seconds, iob }));
