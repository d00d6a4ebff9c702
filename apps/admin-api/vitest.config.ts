import { defineProjectConfig } from '../../vitest.shared.ts';

export default defineProjectConfig('admin-api', {
  globalSetup: ['./src/testing/console.global-setup.ts'],
});
