"""Sphinx configuration of the impactbond documentation.

Every code cell of the MyST pages and every notebook in ``notebooks/`` is
executed at build time (``nb_execution_mode = "force"``); a failing cell fails
the build.  Set ``IMPACTBOND_DOCS_EXECUTION=cache`` to reuse outputs while
writing (the cache lives in ``docs/_build/.jupyter_cache``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import impactbond

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "impactbond"
author = "impactbond developers"
copyright = "impactbond developers"
version = release = impactbond.__version__

sys.path.insert(0, str(DOCS / "_ext"))

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "mathml",
]
# No intersphinx and no CDN: the build runs without network, and the pages work offline.
# Formulas are MathML written at build time (docs/_ext/mathml.py), not MathJax from a CDN.
html_math_renderer = "mathml"

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "README.md"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme = "furo"
html_title = f"impactbond {release}"
# The rendered Nyborg schedule and report (written below) sit at the site's root.
html_extra_path = ["_generated"]

nitpicky = False
# The notebooks are included as documents, not referenced by path.
suppress_warnings = ["myst.header"]

# -- MyST / myst-nb -----------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath", "fieldlist"]
myst_heading_anchors = 3
nb_execution_mode = os.environ.get("IMPACTBOND_DOCS_EXECUTION", "force")
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_execution_show_tb = True
nb_merge_streams = True
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_kernel_rgx_aliases = {".*": "python3"}
# Tables of numbers with thousands separators and without pandas' row numbers
# (docs/_ipython/profile_default/startup/00-tables.py runs in every page's kernel).
os.environ["IPYTHONDIR"] = str(DOCS / "_ipython")

# -- autodoc --------------------------------------------------------------------
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_class_signature = "separated"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# -- the analyst notebooks --------------------------------------------------------
# notebooks/*.ipynb are committed without outputs; they are copied next to
# docs/notebooks.md at every build (docs/notebooks/.gitignore ignores the
# copies) and executed like every other page, so their figures render here.
_NOTEBOOKS_IN = ROOT / "notebooks"
_NOTEBOOKS_OUT = DOCS / "notebooks"
_NOTEBOOKS_OUT.mkdir(exist_ok=True)
for _nb in sorted(_NOTEBOOKS_IN.glob("*.ipynb")):
    _target = _NOTEBOOKS_OUT / _nb.name
    if not _target.exists() or _target.read_bytes() != _nb.read_bytes():
        shutil.copy2(_nb, _target)


# -- documents generated from the Nyborg example ----------------------------------------
# The contract schedule (bilag) in both language orders and the settlement report,
# written by the library itself at every build and linked from the lawyers' guide.
_GENERATED = DOCS / "_generated"
_GENERATED.mkdir(exist_ok=True)


def _generate_documents() -> None:
    from impactbond.cli import main

    paths = impactbond.examples.nyborg_paths()
    data = ["--settlement", str(paths.spells), "--participants", str(paths.participants),
            "--as-of", "2026-07-01", "--example", "agnes", "--example", "karina"]
    for language in ("da", "en"):
        out = _GENERATED / f"nyborg-schedule-{language}.html"
        assert main(["render", str(paths.contract), "--format", "html", "--language", language,
                     "-o", str(out), *data]) == 0
    out = _GENERATED / "nyborg-report.html"
    assert main(["report", str(paths.contract), str(paths.spells), "--participants",
                 str(paths.participants), "--as-of", "2026-07-01", "-o", str(out)]) == 0


_generate_documents()
