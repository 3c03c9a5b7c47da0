# Stand-in for postgres:16 (deploy/base-images/build.sh): Debian bookworm's PostgreSQL 15, driven by the
# official image's environment (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB) and data directory.
FROM autograder-stand-in/debian:bookworm
ARG MIRROR
RUN echo "deb $MIRROR bookworm main" > /etc/apt/sources.list \
    && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       postgresql-15 \
    && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
