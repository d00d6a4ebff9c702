import { defineProjectConfig } from '../../vitest.shared.ts';

export default defineProjectConfig('edge-auth', {
  globalSetup: ['./src/testing/metering-worker.global-setup.ts'],
});
