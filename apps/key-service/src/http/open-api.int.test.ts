import { describeOpenApiDocument } from '@tollgate/test-infra';
import { githubAlertSigner } from '../testing/github-secret-scanning';
import { startKeyService } from '../testing/key-service-test-kit';

// With the secret-scanning receiver configured, so its route is documented (and validated) too.
describeOpenApiDocument({
  service: 'key-service',
  start: () => startKeyService(githubAlertSigner().env),
});
