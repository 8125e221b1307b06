"""Text from data or URLs made safe for Streamlit's Markdown: shown as itself, never as markup.

Every Streamlit text element (markdown, caption, info/warning/error/success, toast, titles)
and every widget, metric, expander, button and page-link label reads its string as Markdown
with extras (links, emphasis, ``:color[...]``, ``:material/...:``, LaTeX ``$...$``, bare URLs
turned into links). An account called ``**[Sign in](https://evil.example)**`` or a crafted
``?issue=`` would render as a link. :func:`md` makes any value literal text: pages put it
around every piece of data or query parameter they format into such a string.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation character, and renders it as itself.
_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
# GFM turns bare URLs ("https://x", "www.x") and e-mail addresses into links *after* escapes
# are resolved, so escaping cannot stop it: an invisible zero-width space after ":" and "@"
# (and inside "www.") breaks those patterns, and Streamlit's ":name:" shortcodes with them.
_ZWSP = "\u200b"
_AUTOLINK = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\.))")


def md(value: object) -> str:
    """``value`` as Markdown that renders exactly as its text (``None`` -> ``""``).

    Every ASCII punctuation character is backslash-escaped; bare URLs and e-mail addresses
    are broken with an invisible zero-width space so they do not become links; each line is
    stripped of leading whitespace (no code blocks) and empty lines are dropped (one
    paragraph, lines kept as hard line breaks). ``md("**[x](https://e.x)**")`` shows
    ``**[x](https://e.x)**``: no bold, no link.
    """
    if value is None:
        return ""
    lines = []
    for line in str(value).splitlines():
        line = line.strip()
        if line:
            lines.append(_PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(_ZWSP, line)))
    return "  \n".join(lines)
