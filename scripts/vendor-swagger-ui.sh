#!/usr/bin/env bash
# Refreshes the vendored Swagger UI of the API documentation (/docs), src/kgpub/web/static/swagger-ui/, from the
# npm registry:
# - the three files FastAPI's Swagger UI page loads (swagger-ui-bundle.js, swagger-ui.css, favicon-32x32.png) of
#   swagger-ui-dist (Apache-2.0), byte for byte as published, after checking the tarball against the registry's
#   sha512 integrity;
# - the package's LICENSE and NOTICE, and swagger-ui-bundle.js.LICENSE.txt, the licence comments of the packages
#   bundled in swagger-ui-bundle.js as the bundler extracted them (the third-party notices the package ships);
# - README.md: package, version, integrity, licence, the SHA-256 of each vendored file, the packages the bundle
#   holds (read from its source map, which names node_modules/<package>/ paths), what is left out.
# The source maps, the other bundles and the standalone preset are not shipped.
#
# Usage: scripts/vendor-swagger-ui.sh         (SWAGGER_UI_VERSION=5.35.0 scripts/vendor-swagger-ui.sh for another)
# Needs npm (the registry), python3, openssl, tar. Nothing is fetched at run time: the server serves these files.
# `npm pack` downloads the tarball only: no dependency is installed and no install script runs.
set -euo pipefail

PACKAGE="swagger-ui-dist"
VERSION="${SWAGGER_UI_VERSION:-5.35.0}"
FILES="swagger-ui-bundle.js swagger-ui.css favicon-32x32.png"
NOTICES="LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/kgpub/web/static/swagger-ui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo "vendor-swagger-ui: $PACKAGE@$VERSION" >&2
TARBALL="$("$ROOT/scripts/npm-pack-verified.sh" "$PACKAGE" "$VERSION")"  # checked against the registry, in ./package
ACTUAL="$(npm view "$PACKAGE@$VERSION" dist.integrity)"  # the tarball's own, as checked

rm -rf "$DEST"
mkdir -p "$DEST"
for name in $FILES $NOTICES; do
    if [ ! -f "package/$name" ]; then
        echo "vendor-swagger-ui: $PACKAGE@$VERSION has no $name" >&2
        exit 1
    fi
    cp "package/$name" "$DEST/$name"
done

python3 - "$WORK/package" "$DEST" "$PACKAGE" "$VERSION" "$ACTUAL" "$FILES" "$NOTICES" <<'PY'
"""Write the README: provenance, digests, the packages the bundle holds (from its source map)."""
import hashlib
import json
import re
import sys
from pathlib import Path

package_dir, dest, package, version, integrity, files, notices = sys.argv[1:]
package_dir, dest = Path(package_dir), Path(dest)
meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
source_map = json.loads((package_dir / "swagger-ui-bundle.js.map").read_text(encoding="utf-8"))
bundled = sorted({found.group(1) for src in source_map["sources"]
                  if (found := re.search(r"node_modules/((?:@[^/]+/)?[^/]+)/", src))})


def row(name):
    body = (dest / name).read_bytes()
    return f"| `{name}` | {len(body)} | `{hashlib.sha256(body).hexdigest()}` |"


left_out = sorted(p.name for p in package_dir.iterdir() if p.is_file() and p.name not in {*files.split(), *notices.split()})
readme = f"""# Vendored Swagger UI

The API documentation (`/docs`) is FastAPI's Swagger UI page, with its script, stylesheet and icon served by this
server under content-hashed paths (`/static/<digest>/swagger-ui/...`, see `kgpub/web/routes/docs.py`), never from
a CDN. The page turns Swagger UI's validator badge off (`validatorUrl: null`), which would otherwise send the
OpenAPI document to validator.swagger.io; its Content-Security-Policy (`default-src 'self'`, the one inline script
FastAPI writes allowed by its hash) would block any other request anyway.

- package: `{package}`, version **{version}**
- tarball: `https://registry.npmjs.org/{package}/-/{package}-{version}.tgz`
- integrity (npm, sha512): `{integrity}`
- licence: {meta.get("license")} (`LICENSE`, `NOTICE`, as published)
- third-party notices: `swagger-ui-bundle.js.LICENSE.txt`, as published: the licence comments the bundler kept of
  the packages bundled in `swagger-ui-bundle.js`

| file (unchanged) | bytes | SHA-256 |
|---|---|---|
{chr(10).join(row(name) for name in [*files.split(), *notices.split()])}

The bundle holds {len(bundled)} npm packages (named by its source map; their versions are not recorded there):
{", ".join(f"`{name}`" for name in bundled)}.

Not shipped: {", ".join(f"`{name}`" for name in left_out)}. The stylesheet's last line still names its source map
(`sourceMappingURL`), so a browser's developer tools ask for it and get a 404; the bytes are kept as published, so
they can be checked against the tarball. The package's only dependency, `@scarf/scarf` (install-time analytics),
is never installed: the files are copied out of the tarball.

Refresh (or move to another version): `scripts/vendor-swagger-ui.sh` (`SWAGGER_UI_VERSION=x.y.z` to change it).
"""
(dest / "README.md").write_text(readme, encoding="utf-8")
print(f"vendor-swagger-ui: {len(bundled)} bundled packages listed in README.md", file=sys.stderr)
PY
