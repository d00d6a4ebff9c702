# syntax=docker/dockerfile:1
# One image per app, all from this file, built from the repository root:
#   docker build --build-arg APP=key-service --build-arg PORT=8082 -t tollgate/key-service .
# APP is the app's folder under apps/ and needs an `app-<APP>` stage at the end of this file; PORT
# is the port the app listens on (its default is in apps/<app>/src/config.ts). docker-compose.yml
# passes both for every app.
ARG APP

FROM node:20-bookworm-slim AS deps
WORKDIR /workspace
COPY package.json package-lock.json nx.json tsconfig.base.json ./
COPY apps/ apps/
COPY libs/ libs/
COPY tools/ tools/
RUN npm ci --ignore-scripts --no-audit --no-fund

# Production dependencies: the bundles keep third-party packages external. Shared by every app.
FROM deps AS prod-deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM deps AS build
ARG APP
RUN node tools/build-app.mjs "apps/${APP}"

FROM node:20-bookworm-slim AS runtime
ARG APP
ARG PORT
RUN case "${PORT}" in ''|*[!0-9]*) echo "build with --build-arg PORT=<the app's port>" >&2; exit 1;; esac
ENV NODE_ENV=production HOST=0.0.0.0 PORT=${PORT}
WORKDIR /app
COPY --from=prod-deps /workspace/node_modules ./node_modules
# The whole output folder: main.mjs, its source map and any worker bundles beside it.
COPY --from=build /workspace/dist/apps/${APP}/ ./
USER node
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "main.mjs"]

# What an app's image adds to the runtime: one stage per app, named app-<APP>, picked at the end.
FROM runtime AS app-admin-api
FROM runtime AS app-billing-service
FROM runtime AS app-key-service
FROM runtime AS app-usage-ingestor

FROM runtime AS app-edge-auth
# The usage spool (RequestMetered events kept while Kafka is unreachable) and the key table
# snapshot (a restart loads it instead of reading the topics whole): mount volumes here.
USER root
RUN mkdir -p /var/lib/tollgate/spool /var/lib/tollgate/key-table \
 && chown node:node /var/lib/tollgate/spool /var/lib/tollgate/key-table
USER node
ENV SPOOL_DIR=/var/lib/tollgate/spool KEY_TABLE_SNAPSHOT_DIR=/var/lib/tollgate/key-table
VOLUME /var/lib/tollgate/spool /var/lib/tollgate/key-table

FROM app-${APP}
