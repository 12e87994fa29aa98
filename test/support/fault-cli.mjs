#!/usr/bin/env node
// pgharden's test-only entry point: PGHARDEN_FAULT=STEP:POINT (see faultsFrom in
// dist/execute/fault-hook.js) becomes apply's fault, then the built CLI runs as usual with the
// same argv. The released CLI, dist/cli/main.js, never reads the variable. `npm run build` bundles
// this file into test/.bin/pgharden-fault.js, which the tests run (test/support/cli.ts).
import { faultsFrom, installFaults } from '../../dist/execute/fault-hook.js';

installFaults(faultsFrom(process.env.PGHARDEN_FAULT));
await import('../../dist/cli/main.js');
