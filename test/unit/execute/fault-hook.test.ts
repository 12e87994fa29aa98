import { describe, expect, it } from 'vitest';
import { faultsFrom } from '../../../src/execute/fault-hook.js';

describe("the test entry point's STEP:POINT as the executor's fault option", () => {
  it.each([
    ['roles/create-agents_app:intent', { kill: { step: 'roles/create-agents_app', at: 'intent' } }],
    ['consumers/weekly-report/drain:done', { kill: { step: 'consumers/weekly-report/drain', at: 'done' } }],
    ['canary/hba:corrupt', { corruptHba: 'canary/hba' }],
    [
      'preflight/verified-backup:truncate-dump',
      { backup: { step: 'preflight/verified-backup', fault: 'truncate-dump' } },
    ],
    ['preflight/verified-backup:delete-rows', { backup: { step: 'preflight/verified-backup', fault: 'delete-rows' } }],
  ])('%s', (value, faults) => {
    expect(faultsFrom(value)).toEqual(faults);
  });

  it.each([undefined, '', 'canary/hba', ':done', 'canary/hba:explode'])('none from %j', (value) => {
    expect(faultsFrom(value)).toBeUndefined();
  });
});
