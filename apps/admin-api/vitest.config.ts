import { defineProjectConfig } from '../../vitest.shared';

export default defineProjectConfig('admin-api');
