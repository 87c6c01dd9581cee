# A viber in a container (docs/deploy.md): the daemon dials out to a gateway and runs tasks here,
# with Chromium for the browser tools and a virtual X display (Xvfb) for the desktop tools.
# Build: docker build -t openviber-viber .
# Run:   docker run -e OPENVIBER_SERVER=wss://gateway.example/ws -e OPENVIBER_VIBER_ID=... \
#          -e OPENVIBER_VIBER_TOKEN=... -e OPENAI_API_KEY=... openviber-viber
FROM node:24-bookworm-slim

# The X and browser packages are the ones the desktop tests install (docs/desktop.md):
# xvfb (the display), xdotool (mouse, keyboard, windows), x11-utils (xwininfo), x11-apps (xwd,
# screenshots), xterm (a terminal the agent can open), tigervnc-scraping-server (the live view,
# --vnc); chromium; tmux and git for tasks.
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    ca-certificates chromium git tigervnc-scraping-server tmux x11-apps x11-utils xdotool xterm xvfb \
  && rm -rf /var/lib/apt/lists/*

# The daemon runs as an unprivileged user; its home holds the viber's keys and workspace.
RUN useradd --create-home --uid 10001 --shell /bin/bash viber
WORKDIR /opt/openviber
COPY --chown=viber:viber package.json package-lock.json ./
COPY --chown=viber:viber web/package.json web/package.json
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --chown=viber:viber bin bin
COPY --chown=viber:viber src src
COPY --chown=viber:viber skills skills

USER viber
ENV OPENVIBER_HOME=/home/viber/.openviber \
  NODE_ENV=production
VOLUME ["/home/viber/.openviber"]

# `--desktop` starts its own Xvfb (no DISPLAY in the image); the gateway URL, viber id and token
# come from OPENVIBER_SERVER, OPENVIBER_VIBER_ID and OPENVIBER_VIBER_TOKEN.
ENTRYPOINT ["node", "/opt/openviber/bin/viber.js", "start", "--desktop"]
