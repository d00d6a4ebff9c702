export {
  createService,
  type CreateServiceOptions,
  type Service,
  type ServiceConfig,
} from './create-service';
