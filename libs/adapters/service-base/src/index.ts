export {
  createService,
  type CreateServiceOptions,
  type Service,
  type ServiceConfig,
  type ServiceDeps,
} from './create-service';
