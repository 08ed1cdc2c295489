#!/usr/bin/env bash
# Fetch an npm package's tarball into the current folder, check it against the registry's integrity
# (sha512), and unpack it into ./package. Shared by the vendoring scripts (vendor-yasgui.sh,
# vendor-swagger-ui.sh). `npm pack` downloads the tarball only: nothing is installed, no script runs.
#
# Usage: scripts/npm-pack-verified.sh PACKAGE VERSION    (prints the tarball's file name)
set -euo pipefail
PACKAGE="$1"
VERSION="$2"
TARBALL="$(npm pack --silent "$PACKAGE@$VERSION")"
EXPECTED="$(npm view "$PACKAGE@$VERSION" dist.integrity)"
ACTUAL="sha512-$(openssl dgst -sha512 -binary "$TARBALL" | base64 -w0)"
if [ "$EXPECTED" != "$ACTUAL" ]; then
    echo "npm-pack-verified: $TARBALL has integrity $ACTUAL, the registry says $EXPECTED" >&2
    exit 1
fi
mkdir package && tar -xzf "$TARBALL" -C package --strip-components=1
echo "$TARBALL"
