#!/usr/bin/env sh
# Installs what the test suite needs beyond PyPI, so the README's test command works on a
# fresh machine: a Java runtime, for the OWL 2 DL reasoner HermiT (shipped by owlready2).
# Already-present tools are left alone. Without root or apt-get, it says what is missing;
# the tests then fail under CI=true (and skip with a reason otherwise).
set -eu

missing=""
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"

if [ -z "$missing" ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" = "0" ] || SUDO="sudo"
    echo "setup-test-tools: installing$missing (Debian packages)" >&2
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "setup-test-tools: please install$missing (a Java runtime); no apt-get here" >&2
    [ "${CI:-}" = "true" ] && exit 1
fi
exit 0
