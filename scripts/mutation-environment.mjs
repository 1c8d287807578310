// Loaded by Stryker's jest runner with require(): an ES module (Node 20.19+ loads it so).
// jest's node environment for mutation runs: once a test has failed with a mutant active, that mutant is killed and
// the rest of its run is skipped. Stryker bails on the first failure with other runners; its jest runner cannot
// (jest takes no programmatic bail), so every covering test ran for every killed mutant.
import { TestEnvironment } from 'jest-environment-node';

// The environment module lives for the runner process, across test files and runs: the failure is kept by mutant.
let killed;

class MutationEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    const mutant = process.env.__STRYKER_ACTIVE_MUTANT__;
    // The dry run (no mutant) runs everything: it measures which tests cover which mutant.
    if (mutant === undefined) return;
    if (event.name === 'test_done' && event.test.errors.length > 0) killed = mutant;
    else if (event.name === 'test_start' && killed === mutant) event.test.mode = 'skip';
  }
}

export default MutationEnvironment;
