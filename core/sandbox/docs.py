"""What a model mirrors, as text: a section of a markdown doc, or a module's docstring.

``Model.mirrors`` holds references such as ``docs/detectors.md#spike_positive`` or
``core/detectors/spike_positive.py``; ``excerpt`` reads them from the repository so the
page can show the real rule next to the sliders (docs stay the single source).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository root
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def section(text: str, anchor: str) -> str | None:
    """The text under the heading whose anchor is ``anchor``, up to the next heading.

    None when no heading has that anchor. (Up to the next heading of any level, so a
    document's title section is its introduction, not the whole document.)
    """
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _HEADING.match(line)
        if match and slug(match.group(2)) == anchor:
            body = []
            for nxt in lines[i + 1 :]:
                if _HEADING.match(nxt):
                    break
                body.append(nxt)
            return "\n".join(body).strip()
    return None


def _docstring(source: str, name: str) -> str | None:
    """Docstring of the module (``name`` empty) or of its top-level function or class."""
    tree = ast.parse(source)
    if not name:
        return ast.get_docstring(tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return ast.get_docstring(node)
    return None


def excerpt(ref: str, root: Path = ROOT) -> str | None:
    """The text behind ``ref``, or None when the file, section or docstring does not exist.

    ``path.md#anchor``: that section of the document. ``path.py``: the module docstring;
    ``path.py::name``: the docstring of its function or class ``name``.
    """
    if ".py" in ref:
        path, _, anchor = ref.partition("::")
    else:
        path, _, anchor = ref.partition("#")
    file = root / path
    if not file.is_file():
        return None
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".py":
        return _docstring(text, anchor)
    return section(text, anchor) if anchor else text


def is_code(ref: str) -> bool:
    """Whether ``ref`` points into source code (shown as plain text) rather than a doc."""
    return ".py" in ref
