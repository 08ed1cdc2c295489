"""Extract the pages' interface text into the message catalogues and report what is untranslated.

    python scripts/messages.py            # update src/kgpub/resources/locales/{ko,ja}.po from the sources
    python scripts/messages.py --check    # exit 1 when a catalogue misses a message or keeps an obsolete one

The messages are the English msgids of ``_()``/``ngettext()`` in the templates (``web/templates``) and of
``_()``/``N_()`` in the page models' Python (``resources/``, ``web/``). New messages are added to each
catalogue untranslated (empty msgstr); messages no longer used are dropped. Translations are edited by
hand in the .po files (gettext's format, read at run time with Babel).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "kgpub"
LOCALES = PACKAGE / "resources" / "locales"
LANGUAGES = ("ko", "ja")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("web/templates/**.html", "jinja2"), ("resources/**.py", "python"), ("web/**.py", "python")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}


def extracted() -> Catalog:
    catalog = Catalog(project="kgpub", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE, METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    template, problems = extracted(), []
    for lang in LANGUAGES:
        path = LOCALES / f"{lang}.po"
        with path.open("rb") if path.exists() else open("/dev/null", "rb") as f:
            catalog = read_po(f, locale=lang) if path.exists() else Catalog(locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        missing = [m.id for m in catalog if m.id and (not m.string or (isinstance(m.string, tuple | list)
                                                                       and not all(m.string)))]
        obsolete = list(catalog.obsolete)
        problems += [f"{path.name}: untranslated: {m!r}" for m in missing]
        problems += [f"{path.name}: obsolete: {m!r}" for m in obsolete]
        if not args.check:
            catalog.obsolete.clear()
            with path.open("wb") as out:
                write_po(out, catalog, width=120, omit_header=False, sort_output=True, include_lineno=False)
    print("\n".join(problems) or "catalogues complete")
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
