# syntax=docker/dockerfile:1
# One image for every Ferry process; the command picks the process (the chart sets it):
#   node apps/gateway/dist/main.js | node apps/controller/dist/main.js | node apps/runner/dist/main.js
# Build:  docker build -t ferry:0.1.0 .
# The runtime writes nothing outside /tmp, so it runs with readOnlyRootFilesystem (an emptyDir at /tmp).
ARG NODE_IMAGE=node:24-bookworm-slim

# ── build: every dependency, then tsc -b into apps/*/dist and libs/*/dist ──────────────────────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
# `npm ci` runs the install scripts package.json allows (the `node` package pins Node 24 for the build).
RUN npm ci --no-audit --no-fund
RUN npm run build
# The runtime tree, in the repo's layout: each workspace's package.json and dist/ (no sources).
RUN mkdir -p /out && cp package.json package-lock.json /out/ \
 && for workspace in apps/* libs/*; do \
      mkdir -p "/out/$workspace" && cp "$workspace/package.json" "/out/$workspace/" \
      && if [ -d "$workspace/dist" ]; then cp -R "$workspace/dist" "/out/$workspace/"; fi; \
    done \
 && find /out -name '*.tsbuildinfo' -delete

# ── production dependencies only, installed fresh from the lockfile ─────────────────────────────────
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV SCARF_ANALYTICS=false
COPY --from=build /out/ ./
# No install scripts: the runtime needs none (DuckDB's binding is a prebuilt optional package).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ── runtime ─────────────────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root and read-only to the process user.
COPY --from=prod-deps /app/ ./
COPY pipelines ./pipelines
COPY data/samples ./data/samples
# A user of its own, above the host's usual range: uid 10001 is the chart's runAsUser (values.yaml)
# and the controller's FERRY_RUNNER_UID, which built-in job pods run as; keep the three equal.
RUN groupadd --gid 10001 ferry \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ferry
USER 10001:10001
ENTRYPOINT ["node"]
CMD ["apps/gateway/dist/main.js"]
