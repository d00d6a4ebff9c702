import { defineProjectConfig } from '../../../vitest.shared';

export default defineProjectConfig('test-infra');
