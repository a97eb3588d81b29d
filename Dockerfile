# feedsift worker image. The sources are TypeScript run directly by Node 24's type stripping.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# the image's own Node 24 runs everything: skip devDependencies (including the pinned `node`)
RUN npm ci --omit=dev && npm cache clean --force
COPY pipeline ./pipeline
COPY workers ./workers
COPY config ./config
COPY fixtures ./fixtures
USER node
ENTRYPOINT ["node", "workers/cli/feedsift.js"]
CMD ["start"]
