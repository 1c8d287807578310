# The permit service. On the embedded store one process owns DATA_DIR; with EVENTSTORE_CONNECTION_STRING
# set (see docker-compose.yml) DATA_DIR holds only this replica's read models and checkpoints.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary can be downloaded.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# The build also bundles the dashboard's browser code (TypeScript, by esbuild: dev dependencies) into dist/;
# the image serves that bundle and needs neither at run time.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# Production mode: AUTH_JWT_SECRET (or a public key), LEDGER_SIGNING_KEY and LEDGER_ORIGIN must be given at run time.
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
# The code stays root-owned (read-only to the process); the process runs as the image's unprivileged
# `node` user, and DATA_DIR is the one place it writes. A named volume mounted on /data starts with
# this ownership.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# Healthy once ready: the store answers and the projections are caught up (GET /health/ready).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The heap bounds of scripts/service-flags.mjs (package.json start:prod passes the same).
CMD ["node", "--max-old-space-size=160", "--max-semi-space-size=8", "dist/apps/permit-service/src/main.js"]
