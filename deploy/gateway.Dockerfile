# A gateway image for several gateways behind a load balancer (docs/deploy.md, "Scale-out"):
# the REST API, the board, the task streams and the daemons' WebSocket, on a shared PostgreSQL
# store and a Redis bus given by OPENVIBER_STORE_URL and OPENVIBER_BUS_URL.
# Build (from the repository root): docker build -f deploy/gateway.Dockerfile -t openviber-gateway .

# The board is built once, with the development dependencies; the image keeps only its output.
FROM node:24-bookworm-slim AS board
WORKDIR /build
COPY package.json package-lock.json ./
COPY web/package.json web/package.json
RUN npm ci --ignore-scripts
COPY web web
COPY src/protocol src/protocol
COPY src/client src/client
RUN npm run build --workspace web

FROM node:24-bookworm-slim
RUN useradd --create-home --uid 10001 --shell /bin/bash gateway
WORKDIR /opt/openviber
COPY --chown=gateway:gateway package.json package-lock.json ./
COPY --chown=gateway:gateway web/package.json web/package.json
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --chown=gateway:gateway bin bin
COPY --chown=gateway:gateway src src
COPY --chown=gateway:gateway skills skills
COPY --from=board --chown=gateway:gateway /build/web/build web/build

USER gateway
ENV OPENVIBER_HOME=/home/gateway/.openviber \
  NODE_ENV=production
EXPOSE 6007
# Every gateway of a deployment gets the same OPENVIBER_OPERATOR_TOKEN and OPENVIBER_MASTER_KEY
# (environment secrets and provider keys are sealed with it), and the same store and bus URLs.
ENTRYPOINT ["node", "/opt/openviber/bin/viber.js", "gateway", "--host", "0.0.0.0", "--port", "6007"]
