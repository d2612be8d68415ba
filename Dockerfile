# Portcullis container image: build the TypeScript once, ship only the compiled JavaScript, the
# production dependencies and the protos, running as the image's unprivileged `node` user (uid 1000,
# matching the Helm chart's securityContext).

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim
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
