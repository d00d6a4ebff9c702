import { defineProjectConfig } from '../../../vitest.shared.ts';

export default defineProjectConfig('stripe-stand-in');
