# Tessera: build the release binary, then ship it on a slim Debian image.
FROM rust:1.95-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends cmake clang pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY .cargo .cargo
COPY server server
COPY migration migration
COPY examples examples
COPY vendor vendor
COPY templates templates
COPY static static
RUN cargo build --release --locked -p tessera -p tessera-whoami

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/tessera --create-home tessera
COPY --from=build /src/target/release/tessera /usr/local/bin/tessera
# The example application behind the gateway (docker-compose's `whoami`).
COPY --from=build /src/target/release/whoami /usr/local/bin/whoami
USER tessera
WORKDIR /var/lib/tessera
ENV TESSERA_BIND=0.0.0.0:8080 \
    TESSERA_DATABASE_URL=sqlite:///var/lib/tessera/tessera.db?mode=rwc \
    TESSERA_PEPPER_FILE=/var/lib/tessera/pepper
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["tessera"]
