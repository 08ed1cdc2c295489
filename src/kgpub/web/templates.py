"""The pages' Jinja2 environments, one per language: autoescaped, the message catalogue installed as
``_``/``ngettext`` (gettext's newstyle: ``_("… %(n)s", n=3)`` formats and escapes), and ``static(name)``
for the content-hashed URL of a packaged front-end file."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kgpub.resources import i18n
from kgpub.web import static_files


@cache
def environment(lang: str) -> Environment:
    env = Environment(loader=PackageLoader("kgpub.web", "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                      undefined=StrictUndefined, auto_reload=False)
    gettext = i18n.gettext(lang)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(static=static_files.url, lang=lang, LANGUAGES=i18n.LANGUAGES, LANGUAGE_NAMES=i18n.NAMES)
    return env


def render(name: str, lang: str, **context: Any) -> str:
    """Template ``name`` in ``lang`` with ``context``."""
    return environment(lang).get_template(name).render(**context)
