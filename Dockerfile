# hikbridge container image: a release build in the Rust image, run from a slim Debian image as
# a non-root user. Build with `docker build -t hikbridge .` (BuildKit, the default builder since
# Docker 23, which reads `RUN --mount` without a `# syntax=` line; such a line would make BuildKit
# fetch a frontend image, which an offline builder cannot). With podman or buildah, add
# `--format docker`: their default OCI format has no HEALTHCHECK and drops it.

# ---- build ------------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src

# The whole crate (.dockerignore keeps target/, data/, demo-data/, .git, databases and .env out).
# build.rs, migrations/ and config/default.toml are compiled into the binary, so they must be here.
COPY . .

# Cache mounts keep the crates.io downloads and compiled dependencies between builds, so a code
# change recompiles only hikbridge itself. The binary is copied out of the cached target/.
# A production image: without the `sim` feature (no simulators, demo, bench or SIAD seeder).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --no-default-features \
    && cp target/release/hikbridge /usr/local/bin/hikbridge

# ---- run --------------------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 hikbridge \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin hikbridge \
    && mkdir -p /app/config /app/data \
    && chown 10001:10001 /app/data

COPY --from=builder /usr/local/bin/hikbridge /usr/local/bin/hikbridge
COPY config/default.toml /app/config/default.toml

# The working directory makes `config/default.toml` and the default SQLite store
# (`sqlite://data/hikbridge.db`) resolve under /app.
WORKDIR /app
USER 10001:10001

# Listen on every interface inside the container; any other key: HIKBRIDGE__SECTION__KEY.
ENV HIKBRIDGE__SERVER__LISTEN=0.0.0.0:8080
VOLUME ["/app/data"]
EXPOSE 8080

# `hikbridge healthcheck` GETs /health on the configured address (0.0.0.0 → 127.0.0.1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["hikbridge", "healthcheck"]

ENTRYPOINT ["hikbridge"]
CMD ["serve"]
