#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app as a screen reader meets it, through AT-SPI (issue 11).

Starts the real pcmbn-logbook on a real database with the accessibility bus
on, then:
  * walks the accessible tree of every page, the form, the Preferences and a
    toast, and fails on a control named after its GTK type ("GtkButton"),
    a name carrying a mnemonic underscore ("_Save"), or a doubled label
    ("Save Save");
  * checks that a choice chip says whether it is chosen;
  * deletes a record, lets the toast go, and restores the record from
    Recently Deleted, as a person at a screen reader's pace would.

Makes its own display and session bus (xsession.py), so it does not
depend on the one it is started with. Needs Xvfb, dbus-daemon, xdotool,
python3-gi and gir1.2-atspi-2.0. Uses the system python.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Atspi", "2.0")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from a11ynames import MNEMONIC, children, doubled, name, role, states, walk  # noqa: E402
from xsession import XSession  # noqa: E402

# A display and a session bus of the test's own, made before the
# accessibility library reads the environment: the display xvfb-run -a
# chose could be taken by a run that started at the same moment, and the
# app then died with "cannot open display: :99" (xsession.py).
SESSION = XSession(1280, 800).start()

from gi.repository import Atspi  # noqa: E402

APP = os.environ["PCMBN_LOGBOOK"]
CLI = os.environ["PCMBN_CLI"]
TIMEOUT = 20

CONTROLS = {
    "push button", "toggle button", "check box", "radio button", "entry", "text",
    "password text", "combo box", "menu item", "check menu item", "radio menu item",
    "list item", "spin button", "slider", "switch", "link", "page tab", "tree item",
    "table cell", "menu",
}
# Controls a person reaches on their own, which must say what they are.
NAMED = {"push button", "toggle button", "check box", "radio button", "entry", "text",
         "spin button", "combo box", "switch", "page tab"}
TYPE_NAME = re.compile(r"^(Gtk|Adw|Logbook)[A-Z][A-Za-z]+$")
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, flush=True)




def check_names(root, where):
    """Returns the number of controls seen."""
    seen = 0
    for node in walk(root):
        r, n = role(node), name(node)
        if r in CONTROLS:
            seen += 1
            if n == "" and r in NAMED and "visible" in states(node):
                fail("%s: a %s has no name" % (where, r))
            if TYPE_NAME.match(n):
                fail("%s: a %s is named after its type: %r" % (where, r, n))
        if MNEMONIC.search(n):
            fail("%s: a %s's name carries a mnemonic underscore: %r" % (where, r, n))
        if doubled(n):
            fail("%s: a %s's name is doubled: %r" % (where, r, n))
    return seen


def wait_for(pred, what, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while True:
        try:
            v = pred()
        except Exception:
            v = None
        if v:
            return v
        if time.time() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.1)


def find(root, r, n):
    for node in walk(root):
        if (r is None or role(node) == r) and (n is None or name(node) == n):
            return node
    return None


def find_shallow(root, r, n, depth=12):
    level = [root]
    for _ in range(depth):
        following = []
        for node in level:
            if role(node) == r and name(node) == n:
                return node
            following.extend(children(node))
        level = following
    return None


def find_wait(root, r, n):
    return wait_for(lambda: find(root, r, n), "%s %r" % (r, n))


def act(node):
    """The AT-SPI action a screen reader uses: click, activate or toggle."""
    names = []
    for i in range(node.get_n_actions()):
        names.append(node.get_action_name(i))
    for want in ("click", "activate", "toggle", "press"):
        if want in names:
            return node.do_action(names.index(want))
    raise AssertionError("%s %r has no action (%r)" % (role(node), name(node), names))


def keys(spec):
    """Real key presses (XTest): with no window manager the focus follows
    the pointer, so the pointer rests on the window first."""
    subprocess.run(["xdotool", "mousemove", "300", "300"], check=True)
    subprocess.run(["xdotool", "key", spec], check=True)
    time.sleep(0.3)


def cli(db, *args, input=None):
    r = subprocess.run([CLI, "--db", db, *args], input=input, capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def find_app(proc):
    pid = proc.pid

    def look():
        if proc.poll() is not None:
            raise SystemExit("pcmbn-logbook exited with %d before its window" % proc.returncode)
        desktop = Atspi.get_desktop(0)
        for a in children(desktop):
            try:
                if a.get_process_id() == pid:
                    return a
            except Exception:
                pass
        return None
    return wait_for(look, "the app on the accessibility bus")


def frames(app):
    return [c for c in children(app) if role(c) == "frame"]


def main():
    tmp = tempfile.mkdtemp(prefix="pcmbn-a11y-")
    db = os.path.join(tmp, "logbook.sqlite")
    # The CLI and the app share one config folder: the logbook's key (which
    # seals case notes) lives there, and without it the app opens locked.
    os.environ["XDG_CONFIG_HOME"] = os.path.join(tmp, "config")
    assert cli(db, "init", "--org-unit", "00001")[0] == 0
    assert cli(db, "demo", "--records", "12")[0] == 0
    status, out, err = cli(db, "add", "activity", input=json.dumps({
        "date": "2026-03-10", "activity_type": "community_talk", "subproject": "community",
        "title": "Talk to delete", "participants_total": 40, "participants_female": 22}))
    assert status == 0, err
    uuid = out.strip()

    env = dict(os.environ)
    for var in ("GTK_A11Y", "NO_AT_BRIDGE"):
        env.pop(var, None)
    env.update({"PCMBN_LOGBOOK_NO_AUTOSYNC": "1", "GDK_BACKEND": "x11",
                "XDG_DATA_HOME": os.path.join(tmp, "data"),
                "XDG_CONFIG_HOME": os.path.join(tmp, "config")})
    proc = subprocess.Popen([APP, "--db", db], env=env, start_new_session=True)
    try:
        app = find_app(proc)
        win = wait_for(lambda: frames(app) and frames(app)[0], "the window")
        sidebar = find_wait(win, "list", "Sections")

        # Every section of the sidebar, as a person goes through them.
        sections = [name(c) for c in children(sidebar) if role(c) == "list item"]
        assert "Recently Deleted" in sections, sections
        assert "Counselling" in sections, sections
        total = 0
        for section in sections:
            row = find(sidebar, "list item", section)
            act_row(row)
            wait_for(lambda: find(win, "label", section), "the %s page" % section)
            time.sleep(0.3)
            total += check_names(win, section)
            if section == "Reports":
                # Its own name only, not glued to its mnemonic label's
                # ("A year or a period Period").
                combos = [name(n) for n in walk(win) if role(n) == "combo box"]
                if "A year or a period" not in combos:
                    fail("Reports: the period drop-down is named %r" % combos)
        # Models hold a second list, the meetings.
        act_row(find(sidebar, "list item", "Models"))
        act(find_wait(win, "page tab", "Meetings"))
        time.sleep(0.5)
        total += check_names(win, "Meetings")

        # The form, with its chips.
        act_row(find(sidebar, "list item", "Activities"))
        act(find_wait(win, "push button", "New"))
        chip = find_wait(win, "check box", "Hotline")
        total += check_names(win, "the activity form")
        if "checked" in states(chip):
            fail("an unchosen chip says it is checked")
        act(chip)
        wait_for(lambda: "checked" in states(find(win, "check box", "Hotline")),
                 "the chip to say it is chosen")
        act(find_wait(win, "push button", "Cancel"))
        time.sleep(0.5)

        # Preferences, a window of its own (Ctrl+comma).
        act_row(find(sidebar, "list item", "Overview"))
        keys("ctrl+comma")
        prefs = wait_for(lambda: [f for f in frames(app) if name(f) == "Preferences"],
                         "the Preferences window")[0]
        total += check_names(prefs, "Preferences")
        keys("Escape")
        wait_for(lambda: not [f for f in frames(app) if name(f) == "Preferences"],
                 "the Preferences to close")

        # Delete through the form; let the toast go; restore from the page.
        act_row(find(sidebar, "list item", "Activities"))
        search = find_wait(win, "entry", "Search records")
        keys("ctrl+f")  # the search takes the focus
        search.set_text_contents("Talk to delete")
        wait_for(lambda: find(win, "label", "Talk to delete"), "the list to show the record")
        time.sleep(0.5)
        # Enter in the search opens the first match (GTK 4.8's AT-SPI
        # "activate" does not emit the entry's signal: a real key does).
        keys("Return")
        find_wait(win, "label", "Activity: Talk to delete")
        delete = [n for n in walk(win)
                  if role(n) == "push button" and name(n) == "Delete" and "visible" in states(n)]
        assert len(delete) == 1, "one Delete button, on the open form"
        act(delete[0])
        # The toast sits near the top of the tree: breadth first finds it
        # before it goes.
        undo = wait_for(lambda: find_shallow(win, "push button", "Undo"), "the toast's Undo")
        total += check_names(undo.get_parent(), "the toast")
        wait_for(lambda: cli(db, "get", uuid)[0] == 2, "the record to be deleted")
        wait_for(lambda: find_shallow(win, "push button", "Undo") is None, "the toast to go", 30)
        time.sleep(3)  # a screen reader's pace: well after the toast
        act_row(find(sidebar, "list item", "Recently Deleted"))
        restore = find_wait(win, "push button", "Restore “Talk to delete”")
        total += check_names(win, "Recently Deleted")
        act(restore)
        wait_for(lambda: cli(db, "get", uuid)[0] == 0, "the record to come back")
        record = json.loads(cli(db, "get", uuid)[1])
        assert record["state"] == "dirty", record
        assert record["deleted"] is False, record
        wait_for(lambda: find(win, "push button", "Restore “Talk to delete”") is None,
                 "the restored record to leave the page")
        assert total > 50, total
        print("%d controls checked" % total)
    except BaseException:
        # What the window showed, for the person reading the failure.
        shot = os.path.join(tempfile.gettempdir(), "pcmbn-a11y-failure.png")
        subprocess.run(["import", "-window", "root", shot], check=False)
        print("screenshot: " + shot)
        raise
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    if failures:
        print("%d problems" % len(failures))
        sys.exit(1)


def act_row(row):
    """List rows have no AT-SPI action in GTK 4.8: select them, as a screen
    reader does; the sidebar shows the section it selects."""
    row.get_parent().select_child(row.get_index_in_parent())


if __name__ == "__main__":
    try:
        main()
    finally:
        SESSION.stop()
