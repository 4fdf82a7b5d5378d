"""Formulas as MathML, written into the pages when they are built.

Sphinx's default renders formulas in the reader's browser with MathJax loaded
from a CDN, so a page read offline shows raw LaTeX.  This renderer converts
every ``$...$``, ``$$...$$`` and ``.. math::`` to MathML with latex2mathml at
build time; browsers draw MathML natively (no script, no network, also in
print).  A formula latex2mathml cannot read fails the build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError


def _mathml(latex: str, display: str) -> str:
    try:
        return convert(latex, display=display)
    except Exception as error:  # latex2mathml raises plain exceptions of several kinds
        raise ExtensionError(f"cannot convert the formula {latex!r} to MathML: {error}") from error


def _visit_inline(self: Any, node: nodes.Element) -> None:
    self.body.append(
        f'<span class="math notranslate">{_mathml(node.astext(), "inline")}</span>'
    )
    raise nodes.SkipNode


def _visit_block(self: Any, node: nodes.Element) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate"))
    for part in node.astext().split("\n\n"):
        if part.strip():
            self.body.append(_mathml(part, "block"))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer("mathml", (_visit_inline, None), (_visit_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
