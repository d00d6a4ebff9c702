export {
  createUsageMeter,
  type UsageMeter,
  type UsageMeterEngine,
  type UsageMeterOptions,
} from './usage-meter';
export {
  createThreadedUsageMeter,
  type ThreadedUsageMeter,
  type ThreadedUsageMeterOptions,
} from './threaded-usage-meter';
