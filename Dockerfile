# Build: the release binary, with libpq for migrations.
FROM rust:1.88-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml clippy.toml ./
COPY src ./src
COPY crates ./crates
COPY migrations ./migrations
COPY openapi ./openapi
COPY tests ./tests
RUN cargo build --release --locked --bin kinerja

# Run: a slim image with libpq, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/kinerja kinerja
COPY --from=build /src/target/release/kinerja /usr/local/bin/kinerja
USER kinerja
WORKDIR /var/lib/kinerja
ENV KINERJA_BIND=0.0.0.0:8080 \
    KINERJA_DATA_DIR=/var/lib/kinerja \
    KINERJA_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["kinerja"]
CMD ["serve"]
