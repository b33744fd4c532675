#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole day by keyboard (issue 11): from the first run to one record of
each of the six kinds, an enrolment and a sync with a real pcmbn-district on
loopback, the Preferences left with Escape, and this year's report exported
as PDF (Ctrl+E, Enter), without the mouse.

Every step is a real key press (XTest, through xdotool): Tab, arrows,
Enter, Space, typed text and the app's shortcuts. The accessibility bus is
only read, to know where the focus is and to wait for the app; no control
is clicked or activated through it. A control the keyboard cannot reach
fails the test with the name of the control and where the focus went.

At the end the CLI reads the same database, a second logbook enrolled
to the same server reads what the sync sent there, and the PDF is read
back (pdftotext).

Runs on a display and a session bus of its own (xsession.py). Uses the
system python (python3-gi, gir1.2-atspi-2.0) and xdotool.
"""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from gi.repository import GLib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from a11ynames import children, name, problem, role, states, walk  # noqa: E402
from xsession import XSession  # noqa: E402

APP = os.environ["PCMBN_LOGBOOK"]
CLI = os.environ["PCMBN_CLI"]
DISTRICT = os.environ["PCMBN_DISTRICT"]
TIMEOUT = 30
COMMUNE = "00001"
Atspi = None  # imported once the session bus is ours


# ---- the accessibility tree, read only ------------------------------------


def find(root, r, n):
    for node in walk(root):
        if (r is None or role(node) == r) and (n is None or name(node) == n):
            return node
    return None


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
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def text_of(node):
    try:
        t = node.get_text_iface()
        return t.get_text(0, t.get_character_count())
    except Exception:
        return ""


focus_events = []


def on_focus(event):
    if os.environ.get("KEYS_DEBUG"):
        print("  focus %d %s %r" % (event.detail1, role(event.source), name(event.source)[:30]),
              flush=True)
    if event.detail1:
        focus_events.append(event.source)
        del focus_events[:-4]


def pump():
    """Delivers the accessibility events that arrived."""
    context = GLib.MainContext.default()
    while context.iteration(False):
        pass


class App:
    def __init__(self, proc):
        self.proc = proc

    def node(self):
        def look():
            if self.proc.poll() is not None:
                raise SystemExit("pcmbn-logbook exited with %d" % self.proc.returncode)
            for a in children(Atspi.get_desktop(0)):
                try:
                    if a.get_process_id() == self.proc.pid:
                        return a
                except Exception:
                    pass
            return None
        return wait_for(look, "the app on the accessibility bus")

    def frames(self):
        return [c for c in children(self.node()) if role(c) in ("frame", "dialog", "alert")]

    def frame(self, title=None):
        def look():
            fs = self.frames()
            if title is None:
                return fs[0] if fs else None
            return next((f for f in fs if name(f) == title), None)
        return wait_for(look, "the window %r" % title)

    def focus(self):
        """The widget with the keyboard focus: the last one that said it
        took it (walking a whole form over D-Bus for each key is slow)."""
        pump()
        node = focus_events[-1] if focus_events else None
        if node is not None and "focused" in states(node):
            return node
        return None


app = None


def where():
    f = app.focus()
    return "%s %r" % (role(f), name(f)) if f else "nowhere"


def xdo(*args):
    return subprocess.run(["xdotool", *args], capture_output=True, text=True).stdout


def windows():
    return xdo("search", "--onlyvisible", "--pid", str(app.proc.pid)).split()


def window_manager():
    """With no window manager, nothing gives the focus back to the window
    when a dialog closes: the keys would go nowhere. Every desktop's window
    manager does that much; so does this, and nothing more."""
    visible = windows()
    if visible and xdo("getwindowfocus").strip() not in visible:
        xdo("windowfocus", "--sync", max(visible, key=int))


def settle():
    # Key events reach GTK through the X server; a short pause lets the app
    # handle them before the next one.
    time.sleep(0.15)
    window_manager()


def key(*specs, times=1):
    for _ in range(times):
        for spec in specs:
            subprocess.run(["xdotool", "key", "--clearmodifiers", spec], check=True)
            settle()


def type_text(text):
    subprocess.run(["xdotool", "type", "--delay", "40", text], check=True)
    settle()


def focused_is(r, n):
    f = app.focus()
    return f is not None and (r is None or role(f) == r) and (n is None or name(f) == n)


def wait_focus(r, n, what=None):
    try:
        wait_for(lambda: focused_is(r, n), what or "the focus on %s %r" % (r, n), 10)
    except AssertionError:
        raise AssertionError("the focus should be on %s %r, it is on %s"
                             % (r, n, where())) from None


def tab_to(r, n, limit=80, back=False):
    """Presses Tab (or Shift+Tab) until the focus is on the control: the
    control must be reachable by the keyboard."""
    seen = []
    for _ in range(limit):
        if focused_is(r, n):
            return app.focus()
        seen.append(where())
        key("shift+Tab" if back else "Tab")
    if focused_is(r, n):
        return app.focus()
    raise AssertionError("%s %r cannot be reached with %s; the focus went through: %s"
                         % (r, n, "Shift+Tab" if back else "Tab",
                            " → ".join(dict.fromkeys(seen))))


def shot(tag):
    path = os.path.join(tempfile.gettempdir(), "pcmbn-keyboard-%s.png" % tag)
    subprocess.run(["import", "-window", "root", path], check=False)
    return path


# ---- the programs ---------------------------------------------------------

def run(*args, input=None, check=True):
    r = subprocess.run(list(args), input=input, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout


def start_server(tmp):
    db = os.path.join(tmp, "server.sqlite")
    run(DISTRICT, "init", "--db", db, "--org-unit", "01")
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen([DISTRICT, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def url():
        if proc.poll() is not None:
            raise SystemExit("pcmbn-district exited with %d" % proc.returncode)
        with open(log.name) as f:
            first = f.readline()
        return first.startswith("Listening on ") and first.endswith("\n") and first[13:].strip()
    return proc, db, wait_for(url, "the server to listen")


def main():
    global Atspi, app
    tmp = tempfile.mkdtemp(prefix="pcmbn-keyboard-")
    db = os.path.join(tmp, "logbook.sqlite")
    export = tmp
    session = XSession(1280, 800).start()
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi as _Atspi
    Atspi = _Atspi
    listener = Atspi.EventListener.new(on_focus)
    listener.register("object:state-changed:focused")

    server, server_db, url = start_server(tmp)
    code = run(DISTRICT, "enroll-code", "--db", server_db, "--org-unit", COMMUNE).strip()

    env = dict(os.environ)
    for var in ("GTK_A11Y", "NO_AT_BRIDGE"):
        env.pop(var, None)
    env.update({"PCMBN_LOGBOOK_NO_AUTOSYNC": "1", "GDK_BACKEND": "x11",
                "XDG_DATA_HOME": os.path.join(tmp, "data"),
                "XDG_CONFIG_HOME": os.path.join(tmp, "config")})
    # The CLI reads the same logbook with the same key.
    os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
    proc = subprocess.Popen([APP, "--db", db], env=env, cwd=tmp, start_new_session=True)
    app = App(proc)
    try:
        day(db, url, code, export)
    except BaseException:
        print("screenshot: " + shot("failure"), flush=True)
        raise
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
        session.stop()
    check(db, server_db, url, export, tmp)
    print("a whole day by keyboard: done")


def check_names(root, where):
    """The first run and the recovery code are seen only here: their names
    must read as a person sees them."""
    bad = []
    for node in walk(root):
        n = name(node)
        p = problem(n)
        if p:
            bad.append("%s: a %s's name %s: %r" % (where, role(node), p, n))
    assert not bad, "\n".join(bad)


def day(db, url, code, export):
    win = app.frame()
    # ---- first run
    wait_focus("entry", "Find your commune")
    type_text("phuc xa")
    wait_for(lambda: find(win, "list item", None) and find(win, "label", "Phúc Xá"),
             "the commune in the results")
    # Enter picks the first match and moves on to the profiles.
    key("Return")
    wait_focus("check box", None)
    check_names(win, "first run")
    tab_to("push button", "Start")
    key("Return")
    # The recovery code, to write down: Enter is its default answer.
    check_names(app.frame("Write Down Your Recovery Code"), "recovery code")
    wait_focus(None, None)
    print("dialog:", where(), flush=True)
    key("Return")
    wait_for(lambda: len(windows()) == 1, "the recovery code to close")
    settle()

    # ---- one record of each kind: Alt+N goes to the Nth section, Ctrl+N
    # opens the form with the focus on its first field, Ctrl+S saves.
    for kind, section, steps in RECORDS:
        print("# " + kind, flush=True)
        key("alt+%d" % section)
        if kind == "model-meeting":
            key("ctrl+Next")  # the models' second list, as tabs switch
        key("ctrl+n")
        wait_for(lambda: find(win, "push button", "Save"), "the %s form" % kind)
        settle()
        for step in steps:
            do(step)
        key("ctrl+s")
        wait_for(lambda: len(cli_list(db, kind)) == 1, "the %s to be saved" % kind)
        # The focus stays in the window, on the list: the next shortcut works.
        wait_focus(None, None, "the focus after saving the %s" % kind)
    shot("records")

    # ---- enrolment, from the sync button's shortcut (F5 before enrolment
    # opens the server settings)
    key("F5")
    wait_for(lambda: len(windows()) == 2, "the server settings")
    # The window puts the focus on the address once it is shown; typed
    # before that, the letters would start the window's search. (Its box
    # does not announce the focus on AT-SPI; a busy machine takes seconds.)
    time.sleep(3)
    # The address takes the focus; the code is the next field; Enter in
    # the code connects.
    type_text(url)
    key("Tab")
    type_text(code)
    key("Return")
    wait_for(lambda: sync_button(win) not in (None, "Sync: Not connected"), "the enrolment", 60)
    shot("enrolled")
    # Escape closes the settings with the focus still in the code's entry
    # row, and the keys go back to the main window.
    key("Escape")
    wait_for(lambda: len(windows()) == 1, "Escape in an entry row to close the settings")

    print("# enrolled", flush=True)
    # ---- sync: F5 again, now that there is a server
    key("F5")
    wait_for(lambda: all(r["state"] == "synced" for k, _, _ in RECORDS
                         for r in cli_list(db, k)), "every record to be synced", 60)
    shot("synced")

    # ---- the Preferences: Escape closes its search first, then the window,
    # from wherever the focus is
    print("# preferences", flush=True)
    key("ctrl+comma")
    wait_for(lambda: len(windows()) == 2, "the Preferences")
    time.sleep(1)
    key("ctrl+f")
    type_text("lang")
    time.sleep(0.5)
    key("Escape")
    time.sleep(1)
    assert len(windows()) == 2, "Escape in the search closed the Preferences, not the search"
    key("Tab", times=3)
    print("focus before Escape:", where(), flush=True)
    key("Escape")
    wait_for(lambda: len(windows()) == 1, "Escape on a row to close the Preferences")

    # ---- this year's report as a PDF: Alt+7 is Reports, Ctrl+E exports,
    # Enter saves under the suggested name in the dialog's folder (the
    # app's working directory, the test's own)
    print("# export", flush=True)
    key("alt+7")

    def dialog():
        if len(windows()) < 2:
            key("ctrl+e")  # again, if the report was still loading
        return len(windows()) == 2
    wait_for(dialog, "the save dialog")
    time.sleep(1.5)
    key("Return")
    wait_for(lambda: exported(export) and len(windows()) == 1, "the PDF to be written", 60)
    shot("exported")


CSV_BUTTON = "Export the report as CSV…"


def sync_button(win):
    for node in walk(win):
        if role(node) == "push button" and name(node).startswith("Sync:"):
            return name(node)
    return None


def choose(n):
    """Opens a drop-down with Space and takes its Nth entry (0 is the
    "Choose…" or "Not set" the form starts with)."""
    return [("key", "space"), ("key", "Down", n), ("key", "Return")]


def do(step):
    what = step[0]
    if what == "tab":  # Tab to a control, then the rest of the step there
        tab_to(step[1], step[2])
        for inner in step[3:]:
            do(inner)
    elif what == "key":
        key(step[1], times=step[2] if len(step) > 2 else 1)
    elif what == "type":
        type_text(step[1])
    elif what == "choose":
        combo = app.focus()
        assert combo is not None and role(combo) == "combo box", \
            "a drop-down should have the focus, not %s" % where()
        back = name(combo)
        for inner in choose(step[1]):
            do(inner)
        # The list closes, and the focus comes back to the drop-down.
        wait_focus("combo box", back)
    else:
        raise AssertionError("unknown step %r" % (step,))


TAB = ("key", "Tab")
# kind, its section's place in the culture officer's sidebar, the keys.
RECORDS = [
    ("activity", 2, [
        ("type", "10/03/2026"),
        ("tab", "combo box", "Activity type *", ("choose", 1)),   # community_talk
        ("tab", "combo box", "Sub-project *", ("choose", 2)),     # community
        TAB, ("type", "Talk at village 3"),
        TAB, ("type", "Village 3 hall"),
        ("tab", "check box", "Women", ("key", "space")),
        ("tab", "check box", "Safe migration", ("key", "space")),
        ("tab", "spin button", "Participants (total)", ("type", "40")),
        ("tab", "spin button", "of whom female", ("type", "22")),
    ]),
    ("material", 3, [
        ("choose", 1),                                            # leaflet
        TAB, ("type", "Leaflet on safe migration"),
        ("tab", "combo box", "Source", TAB, ("type", "05/03/2026")),
        ("tab", "spin button", "Quantity received", ("type", "500")),
    ]),
    ("training", 4, [
        ("type", "12/03/2026"),
        ("tab", "combo box", "Format *", ("choose", 1), TAB, ("type", "Hotline training"),
         TAB, ("type", "Women's Union")),
        ("tab", "spin button", "Participants (total)", ("type", "25")),
    ]),
    ("model", 5, [
        ("type", "Women and law club"),
        ("tab", "combo box", "Model type *", ("choose", 2)),      # integrated
        ("tab", "combo box", "Model kind", ("choose", 1)),     # women_and_law_club
        TAB, ("type", "15/01/2026"),
        ("tab", "combo box", "Status *", ("choose", 1)),          # active
    ]),
    ("model-meeting", 5, [
        ("choose", 1),                                            # the model
        TAB, ("type", "20/03/2026"),
        ("tab", "spin button", "Participants (total)", ("type", "15")),
    ]),
    ("counselling", 6, [
        ("type", "18/03/2026"),
        ("tab", "combo box", "Channel *", ("choose", 3)),         # phone
        TAB, ("type", "KH-001"),
        ("tab", "combo box", "Client type *", ("choose", 1)),     # returned_victim
    ]),
]


def cli_list(db, kind):
    out = subprocess.run([CLI, "--db", db, "list", kind, "--format", "json"],
                         capture_output=True, text=True).stdout
    try:
        return json.loads(out)
    except ValueError:
        return []


EXPECTED = {
    "activity": {"date": "2026-03-10", "activity_type": "community_talk",
                 "subproject": "community", "title": "Talk at village 3",
                 "location": "Village 3 hall", "target_groups": ["women"],
                 "topics": ["safe_migration"], "participants_total": 40,
                 "participants_female": 22},
    "material": {"material_type": "leaflet", "title": "Leaflet on safe migration",
                 "received_on": "2026-03-05", "quantity_received": 500},
    "training": {"date": "2026-03-12", "format": "training_course",
                 "title": "Hotline training", "organiser": "Women's Union",
                 "participants_total": 25},
    "model": {"name": "Women and law club", "model_type": "integrated",
              "model_kind": "women_and_law_club", "established_on": "2026-01-15",
              "status": "active"},
    "model-meeting": {"date": "2026-03-20", "participants_total": 15},
    "counselling": {"date": "2026-03-18", "channel": "phone", "client_code": "KH-001",
                    "client_type": "returned_victim"},
}


def records_of(db):
    """kind → the data of its records, read by the CLI."""
    out = {}
    for kind in EXPECTED:
        out[kind] = []
        for row in cli_list(db, kind):
            got = json.loads(run(CLI, "--db", db, "get", row["uuid"]))
            out[kind].append(got)
    return out


def check_records(records, where):
    for kind, want in EXPECTED.items():
        assert len(records[kind]) == 1, "%s: %d %s, not 1" % (where, len(records[kind]), kind)
        data = records[kind][0]["data"]
        for field, value in want.items():
            assert data.get(field) == value, "%s: %s.%s is %r, typed %r" % (
                where, kind, field, data.get(field), value)
    model = records["model"][0]["uuid"]
    assert records["model-meeting"][0]["data"]["model"] == model, "the meeting's model"


def check(db, server_db, url, export, tmp):
    # The logbook the keys wrote: exactly the six records, as typed, synced.
    mine = records_of(db)
    check_records(mine, "the app's logbook")
    for kind in EXPECTED:
        assert mine[kind][0]["state"] == "synced", "%s is %s" % (kind, mine[kind][0]["state"])
    # The server has them: a second logbook of the same commune, enrolled
    # to the same server, receives them.
    address = url[7:].rstrip("/")
    server = subprocess.Popen([DISTRICT, "serve", "--db", server_db, "--listen", address],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        other = os.path.join(tmp, "other.sqlite")
        run(CLI, "--db", other, "init", "--org-unit", COMMUNE)
        code = run(DISTRICT, "enroll-code", "--db", server_db, "--org-unit", COMMUNE).strip()
        wait_for(lambda: subprocess.run([CLI, "--db", other, "enroll", "--server", url,
                                         "--code", code], capture_output=True).returncode == 0,
                 "the second logbook to enrol")
        run(CLI, "--db", other, "sync")
        theirs = records_of(other)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)
    check_records(theirs, "the server")
    check_export(exported(export))


def exported(folder):
    """The PDF the export wrote, once it has content."""
    for f in os.listdir(folder):
        path = os.path.join(folder, f)
        if f.endswith(".pdf") and os.path.getsize(path) > 0:
            return path
    return None


def check_export(path):
    """The PDF the keys exported: this commune's report for the year,
    counting the one talk of 40 people, 22 of them women."""
    assert os.path.basename(path) == "report-PCMBN-%s-2026.pdf" % COMMUNE, path
    text = run("pdftotext", "-layout", path, "-")
    for want in ("Phúc Xá", "01/01/2026", "31/12/2026"):
        assert want in text, "the exported PDF does not say %r" % want
    assert any(" 40 " in line and " 22 " in line for line in text.splitlines()), \
        "the exported PDF does not count the talk of 40 people, 22 women"


if __name__ == "__main__":
    main()
