#!/usr/bin/env node
// `npm run mutation [-- domain integrity projections]`: Stryker over each area in turn (stryker.config.mjs),
// then one table of mutation scores per file from the areas' JSON reports (reports/mutation/<area>/).
// Not part of `npm test`: it runs the specs once per mutant and takes many minutes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GOALS = { domain: 95, integrity: 95, projections: 85 };
const areas = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(GOALS);
const report = (area) => join(ROOT, 'reports/mutation', area, 'mutation.json');

for (const area of areas) {
  if (!(area in GOALS)) throw new Error(`unknown area ${area}: one of ${Object.keys(GOALS).join(', ')}`);
  const started = Date.now();
  const run = spawnSync('npx', ['stryker', 'run'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, MUTATION: area } });
  if (run.status !== 0) process.exit(run.status ?? 1);
  console.log(`mutation: ${area} done in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Killed and timed-out mutants over every mutant that could be told apart (survivors and no coverage). */
const score = (mutants) => {
  const count = (...states) => mutants.filter((m) => states.includes(m.status)).length;
  const detected = count('Killed', 'Timeout');
  const valid = detected + count('Survived', 'NoCoverage');
  return { detected, survived: count('Survived'), noCoverage: count('NoCoverage'), valid, score: valid ? (100 * detected) / valid : 100 };
};

let failed = false;
for (const area of Object.keys(GOALS)) {
  if (!existsSync(report(area))) continue;
  const { files } = JSON.parse(readFileSync(report(area), 'utf8'));
  const rows = Object.entries(files).map(([file, { mutants }]) => ({ file: relative(ROOT, resolve(ROOT, file)), ...score(mutants) }));
  const all = score(Object.values(files).flatMap((f) => f.mutants));
  const pass = all.score >= GOALS[area];
  failed ||= !pass;
  console.log(`\n${area}: ${all.score.toFixed(1)} % of ${all.valid} mutants (goal >= ${GOALS[area]} %) ${pass ? 'pass' : 'MISS'}`);
  for (const r of rows.sort((a, b) => a.score - b.score)) {
    console.log(
      `  ${r.score.toFixed(1).padStart(5)} %  ${String(r.valid).padStart(4)} mutants, ${r.survived} survived, ${r.noCoverage} uncovered  ${r.file}`,
    );
  }
}
process.exit(failed ? 1 : 0);
