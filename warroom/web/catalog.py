"""The panel catalog: every panel of the team boards, by board and key, as user dashboards pick them, and
each panel's markup cut from its own board's template, so a dashboard draws it as the board does.

The markup is the board template's `panels` block rendered once per language (each panel there is one
`<article class="panel…" data-panel="KEY">…</article>`); the board's `board_scripts` block brings its styles
and renderers (static/js/<board>.js, which register with panels.js and start only on their own page).
"""

import functools
import re
from dataclasses import dataclass

from warroom.web.boards import ALL, Board
from warroom.web.i18n import TEXT

ARTICLE = re.compile(r'<article class="[^"]*" data-panel="(?P<key>[a-z0-9_]+)">.*?</article>', re.S)
STYLE = re.compile(r"<style>.*?</style>", re.S)


@dataclass(frozen=True)
class CatalogPanel:
    board: str
    key: str
    title: dict[str, str]  # zh, en: the board's own title for the panel
    needs: str | None  # a sensitivity the viewer must hold (the panel's, else its board's)


def strings(board: Board, lang: str) -> dict[str, str]:
    return {key: value[lang] for key, value in {**TEXT, **board.text}.items()}


def catalog() -> list[CatalogPanel]:
    """The team boards' panels in board order, then as each board declares them."""
    return [
        CatalogPanel(board.name, key, board.text.get(key, {"zh": key, "en": key}), panel.needs or board.needs)
        for board in ALL.values()
        for key, panel in board.panels.items()
    ]


def find(board: str, key: str) -> CatalogPanel | None:
    return next((p for p in catalog() if (p.board, p.key) == (board, key)), None)


@dataclass(frozen=True)
class BoardMarkup:
    panels: dict[str, str]  # key -> its <article>
    head: str  # the styles of the panels block and the board_scripts block (styles and the board's js)


@functools.cache
def markup(board_name: str, lang: str) -> BoardMarkup:
    from warroom.web.routes.pages import (
        templates,
    )  # the one Jinja environment (pages imports the routes' deps)

    board = ALL[board_name]
    template = templates.env.get_template(board.template)
    context = template.new_context({"t": strings(board, lang), "lang": lang, "board": board})
    panels_html = "".join(template.blocks["panels"](context))
    scripts = template.blocks.get("board_scripts")
    head = "".join(STYLE.findall(panels_html)) + ("".join(scripts(context)) if scripts else "")
    return BoardMarkup({m["key"]: m.group(0) for m in ARTICLE.finditer(panels_html)}, head)
