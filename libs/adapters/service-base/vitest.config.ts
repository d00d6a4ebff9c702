import { defineProjectConfig } from '../../../vitest.shared.ts';

export default defineProjectConfig('service-base');
