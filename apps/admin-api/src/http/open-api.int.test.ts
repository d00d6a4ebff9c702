import { describeOpenApiDocument } from '@tollgate/test-infra';
import { secret, startAdminApi } from '../testing/admin-test-kit';

describeOpenApiDocument({
  service: 'admin-api',
  start: async () => {
    // The document needs no internal app.
    const unused = 'http://127.0.0.1:9';
    const admin = await startAdminApi({
      keyServiceUrl: unused,
      usageIngestorUrl: unused,
      adminCredential: secret(),
    });
    return { app: admin.app, logs: admin.logs, close: () => admin.close() };
  },
});
