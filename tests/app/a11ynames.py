# SPDX-License-Identifier: GPL-3.0-or-later
"""What makes an accessible name wrong, shared by the GUI tests: a screen
reader would read a mnemonic underscore ("_Save") or a doubled label
("Save Save") aloud."""

import re

MNEMONIC = re.compile(r"(^|\s)_\w")


def doubled(name):
    words = name.split()
    half = len(words) // 2
    return len(words) >= 2 and len(words) % 2 == 0 and words[:half] == words[half:]


def problem(name):
    """None for a good name, else what is wrong with it."""
    if MNEMONIC.search(name):
        return "carries a mnemonic underscore"
    if doubled(name):
        return "is doubled"
    return None


# ---- the accessibility tree, read through AT-SPI --------------------------
# A node can go away while it is read (a row scrolled out, a dialog closed):
# each reader then answers as for an empty node instead of raising.

def children(node):
    out = []
    try:
        n = node.get_child_count()
    except Exception:
        return out
    for i in range(n):
        try:
            c = node.get_child_at_index(i)
        except Exception:
            c = None
        if c is not None:
            out.append(c)
    return out


def name(node):
    try:
        return node.get_name() or ""
    except Exception:
        return ""


def role(node):
    try:
        return node.get_role_name()
    except Exception:
        return "?"


def states(node):
    try:
        return [s.value_nick for s in node.get_state_set().get_states()]
    except Exception:
        return []


def walk(root):
    """Every node under root, root first, depth first in reading order."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))
