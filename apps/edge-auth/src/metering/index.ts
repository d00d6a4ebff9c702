export { createUsageMeter, type UsageMeter, type UsageMeterOptions } from './usage-meter';
