# Stand-in for python:3.11-slim-bookworm (deploy/base-images/build.sh): Debian's Python 3.11 as a venv at
# /usr/local, so python, pip and site-packages sit where the official image has them.
FROM autograder-stand-in/debian:bookworm
ARG MIRROR
ENV LANG=C.UTF-8 PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1
RUN echo "deb $MIRROR bookworm main" > /etc/apt/sources.list \
    && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
    && python3 -m venv /usr/local
# The host's CA bundle: pip reaches the package index through this site's TLS-inspecting proxy.
COPY host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
