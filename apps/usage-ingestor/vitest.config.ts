import { defineProjectConfig } from '../../vitest.shared.ts';

export default defineProjectConfig('usage-ingestor');
