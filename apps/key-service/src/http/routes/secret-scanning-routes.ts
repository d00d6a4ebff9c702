import { createHash } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { Type } from 'typebox';
import { ProblemError, safeText } from '@tollgate/service-runtime';
import type { KeyServiceCommands } from '../../application/key-service-commands';
import { checkGithubSignature } from '../../secret-scanning/github-signature';
import type { GithubSigningKey } from '../../secret-scanning/github-signing-keys';

/**
 * Outside `/v1` on purpose: `/v1` is the internal API behind service credentials, this is the one
 * route GitHub calls from the internet, authenticated by GitHub's signature instead.
 */
export const GITHUB_SECRET_SCANNING_PATH = '/webhooks/github/secret-scanning';
/** GitHub batches matches; 512 KiB holds a thousand of them with long URLs. */
const MAX_BODY_BYTES = 512 * 1024;

export interface SecretScanningRouteOptions {
  commands: KeyServiceCommands;
  signingKeys: readonly GithubSigningKey[];
  /** False until the schema is migrated (the `/v1` guard of the service base does not cover this path). */
  ready: () => boolean;
}

const foundToken = Type.Object(
  {
    token: safeText({ minLength: 1, maxLength: 1024 }),
    type: safeText({ maxLength: 200 }),
    url: Type.Optional(safeText({ maxLength: 4096 })),
    source: Type.Optional(safeText({ maxLength: 100 })),
  },
  // GitHub may add fields to its alerts: they are ignored, not refused.
  { additionalProperties: true },
);

const verdict = Type.Object({
  token_hash: Type.String({ description: 'SHA-256 of the reported token, hex' }),
  token_type: Type.String(),
  label: Type.Enum(['true_positive', 'false_positive'], { type: 'string' }),
});

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function unauthorized(reason: string): ProblemError {
  return new ProblemError('unauthorized', 'The secret-scanning alert is not signed by GitHub', {
    reason,
  });
}

/**
 * GitHub's secret scanning partner alerts: the signature over the raw body is checked before the
 * body is parsed, then every reported token that is one of our keys is revoked at once. The answer
 * is GitHub's feedback format: one `token_hash` + `label` per token, never the token itself.
 */
export async function secretScanningRoutes(
  app: FastifyInstance,
  { commands, signingKeys, ready }: SecretScanningRouteOptions,
): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const reports = new Counter({
    name: 'key_service_leaked_key_reports_total',
    help: 'Tokens reported by secret scanners, by outcome (revoked, already_revoked, not_ours)',
    labelNames: ['source', 'outcome'],
    registers: [app.metrics.registry],
  });

  // This plugin's own JSON parser (encapsulated: other routes keep the default): it verifies the
  // signature over the exact bytes received, then parses them with Fastify's own safe parser.
  const verified = new WeakSet<FastifyRequest>();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES },
    (request, body, done) => {
      const check = checkGithubSignature(
        signingKeys,
        {
          identifier: request.headers['github-public-key-identifier'],
          signature: request.headers['github-public-key-signature'],
        },
        body as Buffer,
      );
      if (!check.ok) {
        done(unauthorized(check.reason), undefined);
        return;
      }
      verified.add(request);
      void parseJson(request, (body as Buffer).toString('utf8'), done);
    },
  );

  api.post(
    GITHUB_SECRET_SCANNING_PATH,
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: {
        tags: ['secret scanning'],
        summary:
          'GitHub secret scanning partner alerts: revokes every reported live key (reason leaked)',
        headers: Type.Object({
          'github-public-key-identifier': Type.Optional(Type.String()),
          'github-public-key-signature': Type.Optional(Type.String()),
        }),
        body: Type.Array(foundToken, { minItems: 1, maxItems: 1000 }),
        response: { 200: Type.Array(verdict) },
      },
      // A request without a body never reached the parser above: it is just as unsigned.
      preValidation: async (request) => {
        if (!verified.has(request)) throw unauthorized('signature_missing');
      },
    },
    async (request) => {
      if (!ready())
        throw new ProblemError(
          'dependency_unavailable',
          'key-service is still starting: its database schema is not ready',
        );
      const verdicts = await commands.containLeakedKeys('github', request.body);
      for (const v of verdicts) {
        const outcome = v.label === 'true_positive' ? v.outcome : 'not_ours';
        reports.inc({ source: 'github', outcome });
        if (v.label === 'true_positive')
          request.log.warn(
            { keyId: v.keyId, outcome, tokenType: v.type, source: 'github' },
            'leaked key reported by secret scanning',
          );
      }
      return verdicts.map((v) => ({
        token_hash: sha256Hex(v.token),
        token_type: v.type,
        label: v.label,
      }));
    },
  );
}
