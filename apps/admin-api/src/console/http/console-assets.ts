import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@tollgate/service-runtime';

/**
 * What every console response carries: only this origin's own files may run or style the page
 * (no inline script or style, no CDN), nobody may frame it, and nothing is sniffed or leaked in
 * a referrer.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Adds the console's security headers to every `/console` answer (at the root: the session routes too). */
export function installConsoleHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.url === '/console' || /^\/console[/?]/.test(request.url))
      reply.headers(CONSOLE_SECURITY_HEADERS);
    return payload;
  });
}

/**
 * Serves the console's built files (`index.html`, `console.js`, `console.css`) under
 * `/console/`. They are built with the app (`build-assets.mjs`, run by tools/build-app.mjs); a deployment without them
 * answers 404 saying so instead of failing to start.
 */
export async function consoleAssets(app: FastifyInstance, { root }: { root: string }) {
  app.get('/console', { schema: { hide: true } }, (_request, reply) =>
    reply.redirect('/console/', 308),
  );
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'console assets not built: /console answers 404');
    app.get('/console/*', { schema: { hide: true } }, () => {
      throw new ProblemError(
        'not_found',
        'The console is not built into this deployment (npm run build builds it)',
      );
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    index: ['index.html'],
    redirect: false,
    schemaHide: true,
    decorateReply: false,
    // Revalidated on every load (ETag): a new build is picked up at once.
    cacheControl: true,
    maxAge: 0,
    immutable: false,
    serveDotFiles: false,
  });
}
