# syntax=docker/dockerfile:1
# One Dockerfile for every app (build context = repo root):
#   docker build --build-arg APP=edge -t conclave/edge .
# APP is one of: edge, orchestrator, executor, recorder, fanout, cli (the edge image also carries
# the web console's static files). The image runs the app's
# production bundle (`npm run build`: apps/<app>/dist/main.js) on plain node, with production
# dependencies only.

# Node 24 LTS in production; CI tests the engines floor, Node 20.19 (see README, "Node version").
ARG NODE_IMAGE=node:24-slim

# Only what npm ci reads (the manifests and the postinstall patches of the PostgreSQL and NATS clients), so the
# install layers are rebuilt only when one of them changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path ./scripts/patch-postgres.mjs ! -path ./scripts/patch-nats.mjs -delete \
  && find . -type d -empty -delete

# Build: every dependency (esbuild, TypeScript sources), then the bundles.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
ARG APP
RUN test -f "apps/${APP}/src/main.ts" || { echo "build with --build-arg APP=<app>: no apps/${APP}/src/main.ts" >&2; exit 1; }
# With APP=edge (or cli) this also builds the web console's static files (apps/console/dist); the
# empty folder keeps the COPY below valid for the other apps.
RUN node scripts/build.mjs "${APP}" && mkdir -p apps/console/dist

# Runtime dependencies only: no tsx, esbuild, vitest or TypeScript in the image.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY --from=manifests /app ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG APP
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="conclave-${APP}" \
      org.opencontainers.image.description="Conclave ${APP}: event-driven multi-agent conversations on NATS JetStream and PostgreSQL" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="UNLICENSED" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
WORKDIR /app
# Source maps ship beside the bundles: stack traces name the TypeScript files and lines.
ENV NODE_ENV=production CONCLAVE_APP=${APP} NODE_OPTIONS=--enable-source-maps
COPY --from=prod-deps /app ./
# The migrations (the CLI's `migrate`, and every app's embedded PGlite when DATABASE_URL is unset).
COPY drizzle/ ./drizzle/
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
COPY --from=build /app/apps/${APP}/dist/ ./apps/${APP}/dist/
# The console the edge serves under /console (CONSOLE_DIR defaults to it).
COPY --from=build /app/apps/console/dist/ ./apps/console/dist/
# The `node` user (uid 1000) of the base image; nothing under /app is writable by it.
USER node
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# exec hands PID 1 to node, so SIGTERM reaches the app's drain; arguments (e.g. `migrate`) pass through.
ENTRYPOINT ["sh", "-c", "exec node \"apps/$CONCLAVE_APP/dist/main.js\" \"$@\"", "conclave"]
