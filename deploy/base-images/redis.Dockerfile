# Stand-in for redis:7 (deploy/base-images/build.sh): Debian bookworm's Redis 7.0, working directory /data.
FROM autograder-stand-in/debian:bookworm
ARG MIRROR
RUN echo "deb $MIRROR bookworm main" > /etc/apt/sources.list \
    && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
    && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
