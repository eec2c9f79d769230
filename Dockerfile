# syntax=docker/dockerfile:1
# algogate container image: `docker build -t algogate .` (or `docker compose build`).
# Stage 1 builds with dev dependencies and compiles the native modules (better-sqlite3, argon2);
# stage 2 carries only production dependencies, dist/ and the start script, and runs as a non-root user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts run later (prepare needs the sources); the native modules are built explicitly.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 argon2
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ALGOGATE_ENV=production \
    ALGOGATE_HOST=0.0.0.0 \
    ALGOGATE_PORT=5000 \
    ALGOGATE_DATA_DIR=/data \
    ALGOGATE_CONFIG=/config/algogate.yaml
RUN groupadd --system algogate \
 && useradd --system --gid algogate --home-dir /data --no-create-home --shell /usr/sbin/nologin algogate \
 && mkdir -p /data /logs /config \
 && chown algogate:algogate /data /logs \
 && chmod 700 /data
WORKDIR /app
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/docker-entrypoint.sh ./deploy/docker-entrypoint.sh
USER algogate
VOLUME ["/data", "/logs", "/config"]
EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ALGOGATE_PORT||5000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/deploy/docker-entrypoint.sh"]
CMD ["serve"]
