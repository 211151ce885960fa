# kabar-feeds on the Node.js LTS line, as an unprivileged user, with the database on a volume.
#   docker build -t kabar-feeds .
#   docker run -p 3000:3000 -e BASE_URL=https://feeds.example.org -v kabar-data:/data kabar-feeds

FROM node:24-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 compiles its SQLite binding when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    CONTENT_DIR=/app/content \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY content ./content
RUN npm run build --silent && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The bundle `npm start` also builds (esbuild, a few tens of milliseconds); dependencies stay in node_modules.
CMD ["node", "--enable-source-maps", "dist/main.js"]
