export {
  createRedis,
  type RedisClient,
  type RedisClientOptions,
  type RedisConnection,
} from './redis-client';
