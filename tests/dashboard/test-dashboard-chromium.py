#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The district dashboard in a real headless Chromium (Debian's `chromium`),
driven through chromedriver (`chromium-driver`) with plain WebDriver HTTP
calls: a real `pcmbn-district serve`, two communes that enrolled and synced
with the real `pcmbn`; sign in (a wrong token first), read the per-commune
table, check the session cookie, download reports, change the year, sign
out. Exits 77 (skipped) when chromium or chromedriver is missing."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
ACTIVITY = ('{"date":"2026-03-10","activity_type":"community_talk","subproject":"community",'
            '"title":"Nói chuyện tại Tổ 5","participants_total":40,"participants_female":22}')
MATERIAL = ('{"material_type":"leaflet","received_on":"2026-01-05","quantity_received":500,'
            '"deployed_on":"2026-02-01","quantity_deployed":300}')
# Generous bounds for things that take their time (a browser starting, a
# download landing); they only stop a hung test, they assert no speed.
PATIENCE = 60


def find_browser():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, stdin=None):
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout.strip()


class WebDriver:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.session = None

    def call(self, method, path, body=None):
        url = self.base + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=PATIENCE) as resp:
                return json.loads(resp.read() or b"{}").get("value")
        except urllib.error.HTTPError as e:
            raise AssertionError(f"WebDriver {method} {path}: {e.code} {e.read()[:500]!r}")

    def s(self, method, path, body=None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def find(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]

    def absent(self, css):
        """Whether nothing matches, asked at once rather than after the
        implicit wait."""
        self.s("POST", "/timeouts", {"implicit": 0})
        try:
            return self.find_all(css) == []
        finally:
            self.s("POST", "/timeouts", {"implicit": PATIENCE * 1000})

    def text(self, element):
        return self.s("GET", f"/element/{element}/text")

    def attribute(self, element, name):
        return self.s("GET", f"/element/{element}/attribute/{name}")

    def click(self, element):
        self.s("POST", f"/element/{element}/click", {})

    def type(self, element, text):
        self.s("POST", f"/element/{element}/value", {"text": text})

    def url(self):
        return self.s("GET", "/url")

    def go(self, url):
        self.s("POST", "/url", {"url": url})


def wait_for_file(directory, name):
    path = os.path.join(directory, name)
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        # Chromium writes NAME.crdownload first and renames it when done.
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; the folder holds {os.listdir(directory)}")


def main():
    browser = find_browser()
    driver_path = shutil.which("chromedriver")
    if browser is None or driver_path is None:
        print("SKIP: the dashboard test needs Debian's chromium and chromium-driver packages "
              "(apt install chromium chromium-driver)", file=sys.stderr)
        return 77
    district = os.environ["PCMBN_DISTRICT"]
    cli = os.environ["PCMBN_CLI"]
    year = time.strftime("%Y")

    with tempfile.TemporaryDirectory(prefix="pcmbn-chromium-") as tmp:
        db = os.path.join(tmp, "district.sqlite")
        run([district, "init", "--db", db, "--org-unit", "001"])
        staff = run([district, "staff-token", "--db", db, "--name", "Chị Hoa"])
        log_path = os.path.join(tmp, "serve.log")
        procs = []
        try:
            with open(log_path, "w") as log:
                server = subprocess.Popen([district, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                                          stdout=log, stderr=subprocess.STDOUT)
            procs.append(server)
            url = None
            deadline = time.monotonic() + PATIENCE
            while url is None and time.monotonic() < deadline:
                with open(log_path) as f:
                    first = f.readline()
                if first.startswith("Listening on ") and first.endswith("\n"):
                    url = first[len("Listening on "):].strip()
                else:
                    time.sleep(0.05)
            assert url, "the server did not start"

            # Phúc Xá (00001) syncs an activity and a deployed material in
            # 2026, Trúc Bạch (00004) syncs nothing; the other 12 never sync.
            for commune, records in (("00001", [("activity", ACTIVITY), ("material", MATERIAL)]),
                                     ("00004", [])):
                logbook = os.path.join(tmp, f"{commune}.sqlite")
                run([cli, "--db", logbook, "init", "--org-unit", commune])
                code = run([district, "enroll-code", "--db", db, "--org-unit", commune])
                run([cli, "--db", logbook, "enroll", "--server", url, "--code", code])
                for kind, data in records:
                    run([cli, "--db", logbook, "add", kind], stdin=data)
                run([cli, "--db", logbook, "sync"])

            downloads = os.path.join(tmp, "downloads")
            os.mkdir(downloads)
            port = free_port()
            chromedriver = subprocess.Popen([driver_path, f"--port={port}"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(chromedriver)
            wd = WebDriver(port)
            deadline = time.monotonic() + PATIENCE
            while True:
                try:
                    if wd.call("GET", "/status").get("ready"):
                        break
                except (OSError, AssertionError):
                    pass
                assert time.monotonic() < deadline, "chromedriver did not start"
                time.sleep(0.1)

            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": browser,
                    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             "--user-data-dir=" + os.path.join(tmp, "profile")],
                    "prefs": {"intl.accept_languages": "en-US,en",
                              "download.default_directory": downloads,
                              "download.prompt_for_download": False,
                              "safebrowsing.enabled": False},
                },
            }}}
            created = wd.call("POST", "/session", caps)
            wd.session = created["sessionId"]
            try:
                wd.s("POST", "/timeouts", {"implicit": PATIENCE * 1000, "pageLoad": PATIENCE * 1000})

                # The sign-in page, in the browser's language (English here,
                # while the server runs in the C locale).
                wd.go(url)
                assert wd.attribute(wd.find("html"), "lang") == "en"
                assert wd.absent("#communes"), "the table shows before signing in"
                wd.type(wd.find("#token"), "s_not-a-token")
                wd.click(wd.find("#signin"))
                error = wd.text(wd.find("#signin-error"))
                assert "not known to the district server" in error, error

                wd.type(wd.find("#token"), staff)
                wd.click(wd.find("#signin"))
                wd.find("#communes")
                assert wd.url().rstrip("/") == url.rstrip("/"), wd.url()
                assert "Quận Ba Đình" in wd.text(wd.find("#unit"))

                # The session cookie: HttpOnly, SameSite=Strict, not the token.
                cookies = {c["name"]: c for c in wd.s("GET", "/cookie")}
                session = cookies["pcmbn_session"]
                assert session["httpOnly"] is True, session
                assert session["sameSite"] == "Strict", session
                assert staff not in session["value"]

                # Every commune; those that never synced first and marked.
                rows = wd.find_all("#communes tbody tr")
                assert len(rows) == 14, len(rows)
                classes = [wd.attribute(r, "class") or "" for r in rows]
                assert classes[:12] == ["never-synced"] * 12, classes
                assert classes[12:] == ["", ""], classes
                summary = wd.text(wd.find("#commune-summary"))
                assert "14 communes in scope" in summary and "12 have never synced" in summary, summary
                first = wd.text(rows[0])
                assert "Never synced" in first, first
                phuc_xa = wd.text(wd.find('#communes tr[data-code="00001"]'))
                assert "Phúc Xá" in phuc_xa and "yes" in phuc_xa, phuc_xa
                i1 = wd.text(wd.find('#indicators tr[data-indicator="i1_materials_deployed"]'))
                assert "1 / 14" in i1 and "Not met" in i1, i1
                shot = os.environ.get("PCMBN_DASHBOARD_SCREENSHOT")
                if shot:
                    import base64
                    wd.s("POST", "/window/rect", {"width": 1400, "height": 1000})
                    with open(shot, "wb") as f:
                        f.write(base64.b64decode(wd.s("GET", "/screenshot")))
                # Visible on screen, not only in the markup.
                rect = wd.s("GET", f"/element/{rows[0]}/rect")
                assert rect["width"] > 0 and rect["height"] > 0, rect

                # The charts, drawn by the server as SVG: laid out and
                # visible, their bars sized by the numbers.
                for chart in ("chart-indicators", "chart-months", "chart-communes"):
                    box = wd.s("GET", f"/element/{wd.find('#' + chart)}/rect")
                    assert box["width"] > 200 and box["height"] > 100, (chart, box)
                i1 = wd.s("GET", "/element/" + wd.find(
                    '#chart-indicators g[data-indicator="i1_materials_deployed"] rect.bar') + "/rect")
                track = wd.s("GET", "/element/" + wd.find(
                    '#chart-indicators g[data-indicator="i1_materials_deployed"] rect') + "/rect")
                # 1 commune of 14: a fourteenth of the track, as drawn.
                assert abs(i1["width"] / track["width"] - 1 / 14) < 0.01, (i1, track)
                march = wd.s("GET", "/element/" + wd.find(
                    '#chart-months g[data-month="3"] rect.bar') + "/rect")
                assert march["height"] > 50, march
                assert wd.absent('#chart-months g[data-month="4"] rect.bar[data-count="1"]')
                phuc_xa = wd.s("GET", "/element/" + wd.find(
                    '#chart-communes g[data-code="00001"] rect.bar') + "/rect")
                silent = wd.s("GET", "/element/" + wd.find(
                    '#chart-communes g[data-code="00007"] rect.bar') + "/rect")
                assert phuc_xa["width"] > 10 * silent["width"], (phuc_xa, silent)
                if shot:
                    import base64
                    wd.s("POST", "/window/rect", {"width": 1400, "height": 3000})
                    for chart in ("chart-indicators", "chart-months", "chart-communes"):
                        png = wd.s("GET", f"/element/{wd.find('#' + chart)}/screenshot")
                        with open(shot.replace(".png", f"-{chart}.png"), "wb") as f:
                            f.write(base64.b64decode(png))

                # Downloads with the cookie, into the folder the prefs name.
                wd.click(wd.find("#download-csv"))
                csv_path = wait_for_file(downloads, f"pcmbn-report-001-{year}.csv")
                with open(csv_path, "rb") as f:
                    csv_bytes = f.read()
                assert csv_bytes.startswith(b"\xef\xbb\xbf"), csv_bytes[:20]
                assert "Phúc Xá" in csv_bytes.decode("utf-8-sig")
                wd.click(wd.find("#download-pdf"))
                pdf_path = wait_for_file(downloads, f"pcmbn-report-001-{year}.pdf")
                with open(pdf_path, "rb") as f:
                    assert f.read(5) == b"%PDF-"
                # Downloading did not leave the page.
                wd.find("#communes")

                # Another year through the selector (a GET form, no script).
                other = str(int(year) - 1)
                wd.click(wd.find(f'#year option[value="{other}"]'))
                wd.click(wd.find("form.period button"))
                wd.find(f'#year option[value="{other}"][selected]')
                assert f"year={other}" in wd.url(), wd.url()
                assert len(wd.find_all("#communes tbody tr")) == 14
                assert wd.find_all(f'a[href="/download?year={other}&format=xlsx&lang=en"]'), "no link for the year"

                # Sign out: back to the sign-in form; the old page is gone.
                wd.click(wd.find("#signout"))
                wd.find("#token")
                assert wd.absent("#communes")
                wd.go(url)
                wd.find("#token")
            finally:
                wd.call("DELETE", f"/session/{wd.session}")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                try:
                    proc.wait(timeout=PATIENCE)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print("ok: signed in, read the table of 14 communes, downloaded CSV and PDF, changed the year, "
          "signed out")
    return 0


if __name__ == "__main__":
    sys.exit(main())
