import type { TagReference } from './types.js';

export const applicationsReference: TagReference = {
  tag: { name: 'applications', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/applications': {
      summary: 'Register an integrator application (administrator)',
      description: 'TODO-DESCRIBE',
      body: {
        example: {
          summary: 'TODO-EX',
          value: {
            name: 'ShipFast Labels',
            webhook: {
              url: 'https://erp.northwind.example/shipfast/install',
              objects: ['stock'],
              secret: 'shipfast-install-secret-2026',
            },
          },
        },
      },
      responses: {
        '201': {
          id: 1,
          name: 'ShipFast Labels',
          webhook: {
            url: 'https://erp.northwind.example/shipfast/install',
            objects: ['stock'],
            secret: 'shipfast-install-secret-2026',
          },
          createdAt: '2026-12-06T22:42:52.381Z',
        },
      },
    },
    'GET /api/v1/applications': {
      summary: 'List registered applications (administrator)',
      description: 'TODO-DESCRIBE',
      responses: {
        '200': {
          data: [
            {
              id: 1,
              name: 'ShipFast Labels',
              webhook: { url: 'https://erp.northwind.example/shipfast/install', objects: ['stock'] },
              createdAt: '2026-12-06T22:42:52.381Z',
            },
          ],
        },
      },
    },
    'POST /api/v1/applications/{id}/install': {
      summary: 'Install an application into this account; the access token is shown this once (application.installed carries none)',
      description: 'TODO-DESCRIBE',
      params: { id: 1 },
      responses: { '201': { applicationId: 1, accessToken: 'shk_kK5IXBwR9T77SjeUSnm8WZJWLV2l9lLD' } },
    },
    'POST /api/v1/applications/{id}/uninstall': {
      summary: 'Uninstall an application: its tokens stop working, the subscriptions it created are deleted; emits application.uninstalled',
      description: 'TODO-DESCRIBE',
      params: { id: 1 },
      responses: {},
    },
  },
};
