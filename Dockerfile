# Pantau container image: a static binary on distroless, running as non-root.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t pantau .
#
# The dashboard requires login (http.auth: login, the default), so in a
# container set http.listen: 0.0.0.0:8080 and publish it behind a TLS
# reverse proxy (session cookies are Secure), with http.public_url set to
# the proxy's address. Create accounts with
# `docker exec pantau /pantau user add NAME -role admin -config ...`.
# See docs/operations.md and docs/accounts.md.

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
# The dashboard (with http.listen: 0.0.0.0:8080).
EXPOSE 8080
# SIGTERM (docker stop) shuts down gracefully within 15 s: use
# `docker stop -t 20` / stop_grace_period: 20s, as docker's default is 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/pantau"]
CMD ["run", "-config", "/etc/pantau/pantau.yaml"]
