#!/usr/bin/env bash
# Refreshes the vendored YASGUI of the query page, src/kgpub/web/static/yasgui/, from the npm registry:
# - the built bundle and stylesheet of @zazuko/yasgui (the maintained fork, MIT), byte for byte as published,
#   after checking the tarball against the registry's sha512 integrity;
# - README.md: package, version, integrity, licence, the SHA-256 of each vendored file, what is left out;
# - THIRD_PARTY_NOTICES.txt: the licence of every package the bundle contains. The tarball has no licence
#   files and the minified bundle keeps no licence comments, so the packages are read from the bundle's
#   source map (its sources name node_modules/<package>/ paths, its sourcesContent holds their text). Each
#   one's version is found by comparing that text with the files of the published package (`npm pack`),
#   starting from the version npm resolves for the published ranges and going down when it differs; its
#   licence is the package's LICENSE/LICENCE/COPYING file, else its package.json `license` field.
# The source map itself (3.6 MB) is not shipped.
#
# Usage: scripts/vendor-yasgui.sh            (YASGUI_VERSION=4.7.0 scripts/vendor-yasgui.sh for another one)
# Needs npm (the registry), python3, openssl, tar. Nothing is fetched at run time: the server serves these files.
set -euo pipefail

PACKAGE="@zazuko/yasgui"
VERSION="${YASGUI_VERSION:-4.6.2}"
FILES="yasgui.min.js yasgui.min.css"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/src/kgpub/web/static/yasgui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

echo "vendor-yasgui: $PACKAGE@$VERSION" >&2
TARBALL="$("$ROOT/scripts/npm-pack-verified.sh" "$PACKAGE" "$VERSION")"  # checked against the registry, in ./package
ACTUAL="$(npm view "$PACKAGE@$VERSION" dist.integrity)"  # the tarball's own, as checked

# The tree npm resolves today for the published dependency ranges: each bundled package's first guess.
mkdir tree
(cd tree && echo '{"private": true}' > package.json &&
    npm install --silent --ignore-scripts --no-audit --no-fund --omit=dev --package-lock=false \
        "$PACKAGE@$VERSION")

mkdir -p "$DEST"
for name in $FILES; do
    cp "package/build/$name" "$DEST/$name"
done

python3 - "$WORK" "$DEST" "$PACKAGE" "$VERSION" "$ACTUAL" "$FILES" <<'PY'
"""Find every package the bundle holds, its exact version and licence; write the notices and the README."""
import hashlib
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

work, dest, package, version, integrity, files = sys.argv[1:]
work, dest = Path(work), Path(dest)
tree = work / "tree" / "node_modules"
packs = work / "packs"
packs.mkdir()
MAX_TRIES = 15  # older versions tried per package before giving up
LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|notice)([.-].*)?$", re.IGNORECASE)


MIT = """Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."""


def licence(meta):
    """The SPDX expression of a package.json (the old ``licenses`` list too), or what is missing."""
    value = meta.get("license") or meta.get("licenses")
    if isinstance(value, list):
        value = " OR ".join(v.get("type", "?") if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        value = value.get("type")
    return str(value) if value else "not stated in package.json (see the licence file)"


def npm(*args):
    return subprocess.run(["npm", *args], check=True, capture_output=True, text=True, cwd=work).stdout.strip()


def manifest(folder):
    return json.loads((folder / "package.json").read_text(encoding="utf-8"))


def unpack(name, ver):
    """The published package name@ver, unpacked (npm checks the tarball's integrity)."""
    folder = packs / f"{name.replace('/', '+')}@{ver}"
    if not folder.exists():
        tgz = npm("pack", "--silent", "--pack-destination", str(packs), f"{name}@{ver}").splitlines()[-1]
        with tarfile.open(packs / tgz) as archive:
            archive.extractall(folder, filter="data")
        (packs / tgz).unlink()
    return folder / "package"


def same(folder, texts):
    return all((folder / rel).is_file() and (folder / rel).read_bytes() == text.encode("utf-8")
               for rel, text in texts.items())


def key(ver):
    return tuple(int(p) for p in ver.split("."))


def find_version(name, guess, texts):
    """The published version whose files are the bundled text: the guess, else the closest older ones."""
    if same(unpack(name, guess), texts):
        return guess
    published = json.loads(npm("view", name, "versions", "--json"))
    older = sorted((v for v in published if re.fullmatch(r"\d+\.\d+\.\d+", v) and key(v) < key(guess)
                    and key(v)[0] == key(guess)[0]), key=key, reverse=True)
    for candidate in older[:MAX_TRIES]:
        if same(unpack(name, candidate), texts):
            return candidate
    sys.exit(f"vendor-yasgui: no published version of {name} near {guess} holds the bundled files")


source_map = json.loads((work / "package" / "build" / "yasgui.min.js.map").read_text(encoding="utf-8"))
bundled = {}  # package name -> {path inside the package: text}
own = set()  # this monorepo's packages: their TypeScript sources are not in the published tarballs
css_imports = set()
directories = {}  # packages/<dir> of the monorepo -> package name
for folder in [*tree.glob("*"), *tree.glob("@*/*")]:
    if (folder / "package.json").is_file():
        repo = manifest(folder).get("repository")
        if isinstance(repo, dict) and repo.get("directory", "").startswith("packages/"):
            directories[repo["directory"].removeprefix("packages/")] = manifest(folder)["name"]
for src, text in zip(source_map["sources"], source_map["sourcesContent"], strict=True):
    found = re.search(r"node_modules/((?:@[^/]+/)?[^/]+)/(.+)$", src)
    if found:
        bundled.setdefault(found.group(1), {})[found.group(2)] = text or ""
        continue
    sibling = re.match(r"^\.\./\.\./([^/]+)/", src)
    own.add(directories[sibling.group(1)] if sibling else package)
    css_imports |= {m.group(1) for m in re.finditer(
        r"""import\s+["']((?:@[^/"']+/)?[^./"'][^/"']*)/[^"']*\.s?css["']""", text or "")}
css_only = sorted(css_imports - set(bundled) - own)

entries = []  # (name, version, how the version is known, licence id, licence texts)
for name in sorted(own):
    folder = unpack(name, version)
    entries.append((name, version, "built with the bundle, from the same monorepo at the same version", folder))
for name, texts in sorted(bundled.items()):
    guess = manifest(tree / name)["version"]
    exact = find_version(name, guess, texts)
    entries.append((name, exact, f"{len(texts)} bundled file(s) identical to the published package", unpack(name, exact)))
for name in css_only:
    ver = manifest(tree / name)["version"]
    entries.append((name, ver, "stylesheet only: the version npm resolves for the published ranges", unpack(name, ver)))

out = ["Third-party notices for the vendored YASGUI bundle (src/kgpub/web/static/yasgui/)",
       "",
       f"{package} {version} is one JavaScript bundle and one stylesheet built from the packages below;",
       "the npm tarball ships no licence files and the minified bundle keeps no licence comments, so this file",
       "collects each package's licence from its own published npm package. Generated by scripts/vendor-yasgui.sh.",
       "", f"{len(entries)} packages:", ""]
out += [f"  {name} {ver}: {licence(manifest(folder))}" for name, ver, _, folder in entries]
for name, ver, how, folder in entries:
    meta = manifest(folder)
    out += ["", "=" * 100, f"{name} {ver}", f"License: {licence(meta)}",
            f"Version: {how}"]
    if meta.get("homepage"):
        out.append(f"Homepage: {meta['homepage']}")
    licences = sorted(p for p in folder.iterdir() if p.is_file() and LICENCE_FILE.match(p.name))
    if not licences:
        author = meta.get("author")
        author = author.get("name") if isinstance(author, dict) else author
        out += [f"The package ships no licence file; its package.json names the licence {licence(meta)}"
                + (f" and the author {author}." if author else ".")]
        if licence(meta) == "MIT":
            out += ["The MIT licence (https://spdx.org/licenses/MIT.html), with the package's authors as the "
                    "copyright holders:", "", MIT.format(holder=author or "the package's authors")]
    for path in licences:
        out += ["-" * 100, f"{path.name}:", "", path.read_text(encoding="utf-8", errors="replace").rstrip()]
(dest / "THIRD_PARTY_NOTICES.txt").write_text("\n".join(out) + "\n", encoding="utf-8")

yasgui_licence = manifest(work / "package").get("license")
map_size = (work / "package" / "build" / "yasgui.min.js.map").stat().st_size
digests = "\n".join(f"| `{name}` | {(dest / name).stat().st_size} | `{hashlib.sha256((dest / name).read_bytes()).hexdigest()}` |"
                    for name in files.split())
readme = f"""# Vendored YASGUI

The query page (`/sparql` in a browser) runs YASGUI, served by this server under content-hashed paths
(`{{{{ static('yasgui/yasgui.min.js') }}}}`), never from a CDN.

- package: `{package}` (the maintained fork of Triply's YASGUI), version **{version}**
- tarball: `https://registry.npmjs.org/{package}/-/{package.split('/')[1]}-{version}.tgz`
- integrity (npm, sha512): `{integrity}`
- licence: {yasgui_licence}; the licences of the {len(entries)} packages bundled in it are in `THIRD_PARTY_NOTICES.txt`

| file (from `build/`, unchanged) | bytes | SHA-256 |
|---|---|---|
{digests}

Not shipped: the source map `build/yasgui.min.js.map` ({map_size / 1e6:.1f} MB); the bundle's last line still
names it (`sourceMappingURL`), so a browser's developer tools ask for it and get a 404. The bytes are kept
as published, so they can be checked against the tarball.

The bundle contains URL strings of other services (Linked Open Vocabularies for the `class` and
`property` autocompleters, prefix.cc, DBpedia and Wikidata as example endpoints, documentation links).
The page's configuration (`static/query.js`) turns those autocompleters off and lists only this server's
endpoint; the page's Content-Security-Policy (`default-src 'self'`) would block any other request anyway.

Refresh (or move to another version): `scripts/vendor-yasgui.sh` (`YASGUI_VERSION=x.y.z` to change it).
"""
(dest / "README.md").write_text(readme, encoding="utf-8")
print(f"vendor-yasgui: {len(entries)} packages in THIRD_PARTY_NOTICES.txt", file=sys.stderr)
PY
