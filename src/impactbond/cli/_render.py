"""``impactbond render``: a contract file as a readable document."""

from __future__ import annotations

import argparse
from pathlib import Path

from impactbond.cli._common import add_output, emit, input_paths

__all__ = ["register"]


def _cmd_render(args: argparse.Namespace) -> int:
    from impactbond.io.contract_file import load_contract
    from impactbond.render import render_html, render_markdown

    contract = load_contract(args.contract)
    text = render_html(contract) if args.format == "html" else render_markdown(contract)
    emit(args, text, inputs=input_paths(args))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``render``."""
    rd = sub.add_parser("render", help="render a contract file as a readable document")
    rd.add_argument("contract", type=Path)
    rd.add_argument("--format", choices=["markdown", "html"], default="markdown")
    add_output(rd)
    rd.set_defaults(func=_cmd_render)
