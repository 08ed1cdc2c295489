#!/usr/bin/env sh
# Installs what the test suite needs beyond PyPI, so the README's test command works on a
# fresh machine:
# - a Java runtime, for the OWL 2 DL reasoner HermiT (shipped by owlready2);
# - Node.js and npm, and in tests/node the exact npm packages of tests/node/package-lock.json
#   (`npm ci`): the Comunica clients of the Linked Data end-to-end tests, axe-core and the W3C Nu
#   HTML Checker (vnu-jar, run on the Java runtime) of the page tests; needs the npm registry;
# - Chromium (Debian's, driven by Playwright from the test extra: Playwright's own browser
#   download is never used) and fonts-noto-cjk (without a CJK font Korean and Japanese render
#   as boxes), for the page tests in a real browser;
# - OpenLink Virtuoso 7 (virtuoso-opensource-7: virtuoso-t and isql-vt), a triple store the publishing and
#   remote-store tests start on local ports with a virtuoso.ini of their own (tests/helpers/stores.py).
#   Oxigraph server, the other store they use, comes from PyPI (the test extra).
# Already-present tools are left alone, and an install of tests/node that matches the lock file
# is kept (a copy of the lock file it was made from is kept in node_modules). Without root or
# apt-get, it says what is missing; the tests then fail under CI=true (and skip with a reason
# otherwise).
set -eu
cd "$(dirname "$0")/.."

missing=""
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"  # tests/e2e/test_nginx_cache.py
command -v virtuoso-t >/dev/null 2>&1 || missing="$missing virtuoso-opensource-7"
if ! command -v fc-list >/dev/null 2>&1; then
    missing="$missing fontconfig fonts-noto-cjk"  # fc-list: how the tests check the fonts
elif [ -z "$(fc-list :lang=ko family)" ] || [ -z "$(fc-list :lang=ja family)" ]; then
    missing="$missing fonts-noto-cjk"
fi

if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" = "0" ] || SUDO="sudo"
        echo "setup-test-tools: installing$missing (Debian packages)" >&2
        $SUDO apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        echo "setup-test-tools: please install$missing (a Java runtime; Node.js 18+ with npm; Chromium; a Korean and Japanese font; OpenLink Virtuoso 7); no apt-get here" >&2
        [ "${CI:-}" = "true" ] && exit 1
    fi
fi

NODE_DIR=tests/node
if command -v npm >/dev/null 2>&1; then
    if ! cmp -s "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.installed-from-lock.json"; then
        echo "setup-test-tools: installing the Node.js test clients (npm ci --prefix $NODE_DIR)" >&2
        npm ci --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error >/dev/null
        cp "$NODE_DIR/package-lock.json" "$NODE_DIR/node_modules/.installed-from-lock.json"
    fi
fi
exit 0
