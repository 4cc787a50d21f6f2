# luntan: the app image. docker-compose.yml runs it next to MySQL 8.4.

# Build stage: better-sqlite3 and bcrypt are native modules; when no prebuilt binary matches,
# node-gyp compiles them, which needs python3, make and g++. The runtime image does not carry them.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# tsx (which runs the TypeScript sources) is a runtime dependency, so dev dependencies can be left out.
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json knexfile.ts ./
COPY src ./src
COPY scripts ./scripts
COPY migrations ./migrations
COPY views ./views
COPY static ./static
# The SQLite default (data/) must be writable when DATABASE_URL is not set to MySQL.
# data/uploads exists in the image so the compose volume mounted there is created writable by node.
RUN mkdir -p data/uploads && chown -R node:node data
USER node
EXPOSE 3000
# npm start: migrates, seeds the demo on an empty database (printing the admin password once), listens.
CMD ["npm", "start"]
