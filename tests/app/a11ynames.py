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
