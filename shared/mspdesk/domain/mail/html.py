"""HTML mail to readable text with the standard library's tolerant parser.

Scripts, styles and titles are dropped; block elements and <br> end lines; <blockquote> content
is prefixed with "> " per level, so quoted history in HTML-only mail looks like plain-text quoting
and `split_reply` can find it.
"""

from __future__ import annotations

from html.parser import HTMLParser

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "center", "dd", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tbody", "tfoot", "thead", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl"})
# Not <head>: it only hides what is really inside it, and broken mail often never closes it.
_SKIPPED = frozenset({"script", "style", "title", "template", "noscript", "xml"})
_CELLS = frozenset({"td", "th"})


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote = 0
        self.skip: list[str] = []
        self.pre = 0

    def _flush(self, *, hard: bool = False) -> None:
        text = "".join(self.current)
        self.current = []
        if not self.pre:
            text = " ".join(text.split())
        if text or hard:
            self.lines.append("> " * self.quote + text if text else ">" * self.quote)

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skip.append(tag)
            return
        if self.skip:
            return
        if tag == "br":
            self._flush(hard=True)
        elif tag in _CELLS:
            self.current.append(" ")
        elif tag in _BLOCKS:
            if tag in _PARAGRAPHS:
                self._blank()
            else:
                self._flush()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            return
        if tag == "br":
            self._flush(hard=True)
        elif tag == "hr":
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag == self.skip[-1]:
                self.skip.pop()
            return
        if tag in _BLOCKS:
            if tag in _PARAGRAPHS:
                self._blank()
            else:
                self._flush()
            if tag == "blockquote" and self.quote:
                self.quote -= 1
            elif tag == "pre" and self.pre:
                self.pre -= 1

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre and "\n" in data:
            first, *rest = data.split("\n")
            self.current.append(first)
            for line in rest:
                self._flush(hard=True)
                self.current.append(line)
            return
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        out: list[str] = []
        for line in self.lines:
            line = line.rstrip()
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue
            out.append(line)
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Readable text from an HTML body. Never raises: broken markup yields what it can."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:
        builder.current.append("")
    return builder.text().replace("\xa0", " ")
