# Fieldlab image: build with the full toolchain, run on a slim current-LTS image as a non-root user.
#   docker build -t fieldlab .
#   docker run -p 8080:8080 -v $PWD/fieldlab.yaml:/etc/fieldlab/fieldlab.yaml:ro -v fieldlab-data:/app/data \
#     fieldlab start --config /etc/fieldlab/fieldlab.yaml
# Node 22 and 24 are both supported; 24 is the current LTS line.
# test/deploy/docker.test.ts checks that every COPY source exists and that this entrypoint runs from
# a pruned production install, since the image can't be built where the tests run.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# Toolchain for native modules that must compile when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# `prepare` skips itself here: src/ isn't copied yet (keeps this layer cached across code changes).
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
# The lean build (src/tsconfig.json): the CLI and the proxy, no tests or benchmarks.
RUN npm run build:app && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Numeric ids (1000 is the image's `node` user): Kubernetes' runAsNonRoot can verify a number,
# not a name.
COPY --from=build --chown=1000:1000 /app/node_modules ./node_modules
COPY --from=build --chown=1000:1000 /app/dist/src ./dist/src
# The admin report page's stylesheet and script (tsc copies no assets); read from here by dist/src/admin.
COPY --chown=1000:1000 src/admin/assets ./src/admin/assets
COPY --chown=1000:1000 package.json LICENSE ./
COPY --chown=1000:1000 config ./config
# The store's default path (sqlite:./data/fieldlab.db). A volume, so the image runs with a
# read-only root filesystem; mount a persistent one or guardrail state is lost with the container.
RUN mkdir -p /app/data && chown 1000:1000 /app/data
VOLUME ["/app/data"]
USER 1000:1000
EXPOSE 8080 9901 9902
# The admin listener is loopback-only by default, which is exactly where this check runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9901/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM from `docker stop`: /readyz answers 503 for drainDelay (new connections still accepted),
# then in-flight requests get drainTimeout, then exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["start", "--config", "config/fieldlab.yaml"]
