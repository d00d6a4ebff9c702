import { describeOpenApiDocument } from '@tollgate/test-infra';
import { startKeyService } from '../testing/key-service-test-kit';

describeOpenApiDocument({ service: 'key-service', start: startKeyService });
