import { describeOpenApiDocument } from '@tollgate/test-infra';
import { billingTestKit } from '../testing/billing-test-kit';

describeOpenApiDocument({
  service: 'billing-service',
  start: async () => {
    const kit = await billingTestKit('billing_open_api');
    return {
      app: await kit.startApp({ now: () => Date.parse('2030-07-14T10:00:00Z') }),
      close: () => kit.close(),
    };
  },
});
