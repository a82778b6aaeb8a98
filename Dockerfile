# syntax=docker/dockerfile:1
# One Dockerfile for every app (build context = repo root):
#   docker build --build-arg APP=edge -t conclave/edge .
# APP is one of: edge, orchestrator, executor, recorder, fanout, cli.

# Only what npm ci reads (the manifests and the postinstall patches of the PostgreSQL and NATS clients), so the
# install layer is rebuilt only when one of them changes.
FROM node:24-slim AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json ! -path ./scripts/patch-postgres.mjs ! -path ./scripts/patch-nats.mjs -delete

FROM node:24-slim AS deps
WORKDIR /app
COPY --from=manifests /app ./
# Full install: the apps run TypeScript through tsx, which is a devDependency.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app ./
COPY . .
ARG APP
RUN test -f "apps/${APP}/src/main.ts" || { echo "build with --build-arg APP=<app>: no apps/${APP}/src/main.ts" >&2; exit 1; }
ENV CONCLAVE_APP=${APP}
USER node
# exec hands PID 1 to node, so SIGTERM reaches the app's drain; arguments (e.g. `migrate`) pass through.
ENTRYPOINT ["sh", "-c", "exec node --import tsx \"apps/$CONCLAVE_APP/src/main.ts\" \"$@\"", "conclave"]
