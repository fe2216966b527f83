#!/bin/sh
# Runs inside every stand-in build (the build context's host/ folder is copied to /tmp/host first).
# Installs the Debian packages named as arguments, trusts the host's CA bundle so TLS through this
# machine's egress proxy verifies, copies the host's pip/npm configuration, and cleans up like the
# official images do (no apt lists, no caches).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends ca-certificates "$@"
# Extra CAs go where update-ca-certificates finds them, so a later ca-certificates trigger keeps them;
# the host's bundle itself is copied last so the image trusts exactly what the host trusts.
if ls /tmp/host/ca/*.crt >/dev/null 2>&1; then
  cp /tmp/host/ca/*.crt /usr/local/share/ca-certificates/
  update-ca-certificates
fi
cp /tmp/host/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
cp -R /tmp/host/config/. /
apt-get clean
rm -rf /var/lib/apt/lists/* /tmp/host
