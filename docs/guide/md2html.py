#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn the user guide (docs/guide/*.md) into one self-contained HTML page.

The guide uses a small part of Markdown: # headings, paragraphs, - and 1.
lists, ``` blocks, | tables |, **bold**, *italic*, `code` and [links](url).
The page carries its own style and no outside file, so that a browser opened
by the app (even from a Flatpak sandbox, through the portal) shows it whole.

Usage: md2html.py SOURCE.md OUTPUT.html LANG
"""

import html
import re
import sys

STYLE = """
body { font-family: "Cantarell", "Noto Sans", "DejaVu Sans", sans-serif; line-height: 1.5;
       max-width: 46em; margin: 2em auto; padding: 0 1em; color: #241f31; background: #fff; }
h1, h2, h3 { line-height: 1.2; }
h2 { margin-top: 2em; border-bottom: 1px solid #deddda; padding-bottom: .2em; }
code, pre { font-family: "Source Code Pro", "DejaVu Sans Mono", monospace; font-size: .92em; }
code { background: #f6f5f4; padding: 0 .2em; border-radius: 3px; }
pre { background: #f6f5f4; padding: .8em 1em; overflow-x: auto; border-radius: 6px; }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #deddda; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f6f5f4; }
nav { background: #f6f5f4; padding: .5em 1.5em; border-radius: 6px; }
@media (prefers-color-scheme: dark) {
  body { color: #deddda; background: #242424; }
  code, pre, th, nav { background: #303030; }
  th, td, h2 { border-color: #4a4a4a; }
  a { color: #99c1f1; }
}
"""

INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*?)\*")


def inline(text):
    out = []
    pos = 0
    for m in INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()], quote=False))
        if m.group(1) is not None:
            out.append("<strong>" + inline(m.group(1)) + "</strong>")
        elif m.group(2) is not None:
            out.append("<code>" + html.escape(m.group(2), quote=False) + "</code>")
        elif m.group(3) is not None:
            out.append('<a href="' + html.escape(m.group(4)) + '">' + inline(m.group(3)) + "</a>")
        else:
            out.append("<em>" + inline(m.group(5)) + "</em>")
        pos = m.end()
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out)


def slug(text, used):
    base = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-") or "section"
    name, n = base, 2
    while name in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def convert(lines):
    body, toc, used = [], [], set()
    title = None
    para, items, list_tag = [], [], None
    i = 0

    def flush():
        nonlocal para, items, list_tag
        if para:
            body.append("<p>" + inline(" ".join(para)) + "</p>")
            para = []
        if items:
            body.append(f"<{list_tag}>" + "".join("<li>" + inline(" ".join(it)) + "</li>" for it in items)
                        + f"</{list_tag}>")
            items, list_tag = [], None

    while i < len(lines):
        line = lines[i].rstrip("\n")
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            block = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                block.append(lines[i].rstrip("\n"))
                i += 1
            if i == len(lines):
                raise SystemExit("a ``` block is not closed")
            body.append("<pre><code>" + html.escape("\n".join(block), quote=False) + "</code></pre>")
        elif not stripped:
            flush()
        elif m := re.match(r"^(#{1,4})\s+(.*)$", line):
            flush()
            level, text = len(m.group(1)), m.group(2).strip()
            if level == 1 and title is None:
                title = text
                body.append("<h1>" + inline(text) + "</h1>")
            else:
                anchor = slug(text, used)
                if level == 2:
                    toc.append((anchor, text))
                body.append(f'<h{level} id="{anchor}">' + inline(text) + f"</h{level}>")
        elif stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            i -= 1
            if len(rows) < 2 or not all(re.match(r"^:?-+:?$", c) for c in rows[1]):
                raise SystemExit("a table needs a header row and a |---| row")
            out = ["<table><thead><tr>"] + ["<th>" + inline(c) + "</th>" for c in rows[0]]
            out.append("</tr></thead><tbody>")
            for row in rows[2:]:
                out.append("<tr>" + "".join("<td>" + inline(c) + "</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
            body.append("".join(out))
        elif m := re.match(r"^(-|\d+\.)\s+(.*)$", line):
            if para:
                flush()
            tag = "ul" if m.group(1) == "-" else "ol"
            if list_tag and list_tag != tag:
                flush()
            list_tag = tag
            items.append([m.group(2)])
        elif items and line.startswith("  "):
            items[-1].append(stripped)
        else:
            if items:
                flush()
            para.append(stripped)
        i += 1
    flush()
    if title is None:
        raise SystemExit("the guide needs a # title")
    return title, toc, body


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: md2html.py SOURCE.md OUTPUT.html LANG")
    source, output, lang = sys.argv[1:]
    with open(source, encoding="utf-8") as f:
        title, toc, body = convert(f.readlines())
    nav = "<nav><ul>" + "".join(f'<li><a href="#{a}">{inline(t)}</a></li>' for a, t in toc) + "</ul></nav>"
    # The table of contents goes after the title and the introduction.
    first_h2 = next((n for n, b in enumerate(body) if b.startswith("<h2")), len(body))
    body.insert(first_h2, nav)
    page = ("<!DOCTYPE html>\n"
            f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(re.sub(r'[*`]', '', title))}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
    with open(output, "w", encoding="utf-8") as f:
        f.write(page)


if __name__ == "__main__":
    main()
