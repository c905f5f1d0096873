# syntax=docker/dockerfile:1
#
# One image per service, all from this file:
#   docker build --target gateway     -t oryn-gateway .
#   docker build --target workspace   -t oryn-workspace .
#   docker build --target billing     -t oryn-billing .
#   docker build --target provisioner -t oryn-provisioner .
#   docker build --target mailer      -t oryn-mailer .
#   docker build --target webhooks    -t oryn-webhooks .
#   docker build --target migrate     -t oryn-migrate .      # one-shot: control-plane migrations
#
# Services run their TypeScript directly (Node 24 type stripping): there is no build step, so the
# image holds the sources plus production dependencies only. NODE_ENV defaults to production,
# which refuses to start without JWT_SIGNING_KEYS / MFA_ENCRYPTION_KEY / TENANT_DB_PASSWORD_SECRET /
# STRIPE_WEBHOOK_SECRET (and the mailer without SMTP_URL, MAIL_FROM and APP_URL); pass `--build-arg NODE_ENV=development` or set NODE_ENV at run time to
# let the services generate development secrets into SECRETS_DIR.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------
# deps: production node_modules for the whole workspace, from the manifests and the lockfile
# only, so this layer is rebuilt only when a dependency changes.
FROM ${NODE_IMAGE} AS deps
ENV CI=true
RUN npm i -g -E pnpm@12.4.2 && npm cache clean --force
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# Fixes to dependencies (pnpm-workspace.yaml's patchedDependencies), applied by the install.
COPY patches/ patches/
COPY packages/shared/package.json packages/shared/
COPY packages/client/package.json packages/client/
COPY services/gateway/package.json services/gateway/
COPY services/workspace/package.json services/workspace/
COPY services/billing/package.json services/billing/
COPY services/provisioner/package.json services/provisioner/
COPY services/mailer/package.json services/mailer/
COPY services/webhooks/package.json services/webhooks/
# vitest, typescript, testcontainers and the like are dev dependencies: --prod leaves them out.
RUN --mount=type=cache,id=oryn-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --store-dir /pnpm/store

# ---------------------------------------------------------------------------------------------
# app: the sources on top of the dependencies (.dockerignore keeps tests, secrets and local
# node_modules out). Made world-readable and root-owned so the `node` user can run but not
# change them.
FROM deps AS app
COPY packages/ packages/
COPY services/ services/
RUN chmod -R a+rX,go-w /app

# ---------------------------------------------------------------------------------------------
# runtime: what every target shares. No pnpm, no build tools; runs as the unprivileged `node`.
FROM ${NODE_IMAGE} AS runtime
ARG NODE_ENV=production
ENV NODE_ENV=${NODE_ENV} \
    HOST=0.0.0.0 \
    SECRETS_DIR=/var/lib/oryn/secrets \
    EXPORT_DIR=/var/lib/oryn/exports \
    MAIL_DIR=/var/lib/oryn/mail
WORKDIR /app
COPY --from=app /app /app
# Where development secrets are generated (production passes them in the environment), exports
# are written, and a mailer without SMTP_URL writes its .eml files. A named volume mounted here
# starts with this directory's owner, so `node` can write to it.
RUN mkdir -p /var/lib/oryn/secrets /var/lib/oryn/exports /var/lib/oryn/mail \
    && chown node:node /var/lib/oryn/secrets /var/lib/oryn/exports /var/lib/oryn/mail \
    && chmod 700 /var/lib/oryn/secrets /var/lib/oryn/exports /var/lib/oryn/mail
USER node

# ---------------------------------------------------------------------------------------------
# Targets.

FROM runtime AS migrate
CMD ["node", "packages/shared/src/migrations/cli.ts"]

FROM runtime AS gateway
EXPOSE 8080
CMD ["node", "services/gateway/src/main.ts"]

FROM runtime AS workspace
EXPOSE 8081
CMD ["node", "services/workspace/src/main.ts"]

FROM runtime AS billing
EXPOSE 8082
CMD ["node", "services/billing/src/main.ts"]

# Internal port: /healthz, /readyz, /metrics and the queue board. pg_dump and pg_restore (Debian
# bookworm's, PostgreSQL 15) move a tenant between servers (`pnpm oryn tenants move`).
FROM runtime AS provisioner
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
USER node
EXPOSE 8083
CMD ["node", "services/provisioner/src/main.ts"]

# Internal port: /healthz, /readyz and /metrics. Sends the queued mail over SMTP_URL.
FROM runtime AS mailer
EXPOSE 8084
CMD ["node", "services/mailer/src/main.ts"]

# Internal port: /healthz, /readyz and /metrics. Delivers tenants' events to their endpoints.
FROM runtime AS webhooks
EXPOSE 8085
CMD ["node", "services/webhooks/src/main.ts"]
