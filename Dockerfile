# Pantau container image: a static binary on distroless, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t pantau .
#
# The dashboard has no accounts yet, so Pantau refuses to listen on anything
# but loopback (http.listen must stay 127.0.0.1:8080, the default). Inside a
# container that is the container's own loopback: `docker run -p 8080:8080`
# does NOT make the dashboard reachable. Reach it through a reverse proxy
# (with authentication) in the same pod or network namespace, e.g.
# `docker run --network container:pantau ...`, or through an SSH tunnel to
# a host that shares that namespace. See docs/operations.md.

# ---- build ------------------------------------------------------------------
FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so they are cached across source changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo), reproducible paths, stripped; the version shows in
# `pantau version` and in the start-up log line.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/pantau ./cmd/pantau \
 && mkdir -p /out/data

# ---- run --------------------------------------------------------------------
# distroless/static: CA certificates, tzdata and a nonroot user (65532), no
# shell. (The binary also embeds tzdata for scoring.timezone.)
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pantau /pantau
# The store directory must exist and belong to the nonroot user: a named
# volume is initialised from it. A bind mount must be chowned to 65532 by you.
COPY --from=build --chown=65532:65532 /out/data /var/lib/pantau
USER 65532:65532
# data_dir in the config must be /var/lib/pantau (as in pantau.example.yaml).
VOLUME ["/var/lib/pantau"]
# Mount the config read-only at /etc/pantau/pantau.yaml, and secret files
# (named by *_file fields) e.g. under /run/secrets.
# Documentation only: the dashboard listens on the container's loopback, so
# this port is not reachable from outside the container's network namespace.
EXPOSE 8080
# SIGTERM (docker stop) shuts down gracefully within 15 s: use
# `docker stop -t 20` / stop_grace_period: 20s, as docker's default is 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/pantau"]
CMD ["run", "-config", "/etc/pantau/pantau.yaml"]
