import { describeOpenApiDocument } from '@tollgate/test-infra';
import { usageTestKit } from '../testing/usage-test-kit';

describeOpenApiDocument({
  service: 'usage-ingestor',
  start: async () => {
    const kit = await usageTestKit('usage_open_api');
    return { app: await kit.startApp(), close: () => kit.close() };
  },
});
