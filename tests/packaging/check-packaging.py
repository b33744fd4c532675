#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the packaging that no stock validator does.

  check-packaging.py manpages MANDIR PROGRAM=PATH...
      every verb of the contract, and every verb and option the programs'
      --help prints, is in the generated man pages; man(1) renders them
      without a warning.
  check-packaging.py flatpak MANIFEST SOURCE_ROOT
      the Flatpak manifest parses and names a module (or the runtime) for
      every dependency() of the meson files.
  check-packaging.py guide GUIDE_DIR HTML_DIR
      the English and Vietnamese guides cover the same sections and every
      task of the issue, and their HTML pages were generated.
  check-packaging.py unit SERVICE CONF
      the systemd unit is hardened and uses only settings the config defines.
  check-packaging.py desktop DESKTOP METAINFO ICON_DIR
      the desktop file, the metainfo and the icons name each other.

Exit status 0 when all is well, 1 with one line per problem on stderr.
"""

import json
import os
import re
import shutil
import subprocess
import sys

# The verbs of ../shared/spec/interfaces.md, which is the contract.
CONTRACT_VERBS = {
    "pcmbn": ["init", "add", "update", "get", "list", "import", "export", "delete", "enroll",
              "sync", "conflicts", "resolve", "report", "demo"],
    "pcmbn-district": ["init", "org-units", "serve", "enroll-code", "devices", "staff-token",
                       "report"],
    "pcmbn-logbook": [],
}
# Options the contract names for programs without verbs.
CONTRACT_OPTIONS = {"pcmbn-logbook": ["--db", "--version"]}

problems = []


def problem(message):
    problems.append(message)


def finish():
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("ok")
    return 1 if problems else 0


def roff_text(text):
    """The words of a roff page, without fonts and escapes."""
    text = re.sub(r"\\f[BIRP]", "", text)
    text = text.replace("\\-", "-").replace("\\&", "").replace("\\(dq", '"').replace("\\e", "\\")
    return text


def man_sections(text):
    """({verb: the terms of its tagged paragraphs}, [terms of OPTIONS]) for
    the .SS blocks under VERBS: an option is described when it is the term
    of a .TP, not merely named in a synopsis."""
    verbs = {}
    options = []
    current = None
    section = None
    after_tp = False
    for line in text.splitlines():
        if line.startswith(".SH"):
            section = roff_text(line[3:].strip().strip('"'))
            current = None
            continue
        if section == "VERBS" and line.startswith(".SS"):
            current = roff_text(line[3:].strip().strip('"')).split()[0]
            verbs[current] = ""
            continue
        if line.startswith(".TP"):
            after_tp = True
            continue
        if after_tp:
            after_tp = False
            if current:
                verbs[current] += roff_text(line) + "\n"
            elif section == "OPTIONS":
                options.append(roff_text(line))
    return verbs, options


def help_usage(program, path):
    """{verb: [options]} from the program's own --help."""
    out = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, LANGUAGE="en", LC_ALL="C.UTF-8"))
    if out.returncode != 0:
        problem(f"{program} --help: exit status {out.returncode}")
        return {}
    usage = {}
    for line in out.stdout.splitlines():
        m = re.match(rf"^\s+{re.escape(program)}\s+([a-z][a-z0-9-]*)(.*)$", line)
        if m:
            usage[m.group(1)] = sorted(set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", m.group(2))))
    return usage


def check_manpages(mandir, programs):
    for spec in programs:
        program, _, path = spec.partition("=")
        page = os.path.join(mandir, program + ".1")
        if not os.path.exists(page):
            problem(f"{page}: missing")
            continue
        with open(page, encoding="utf-8") as f:
            text = f.read()
        if not text.startswith(".\\\"") or ".TH" not in text:
            problem(f"{page}: not a generated roff page")
        words = roff_text(text)
        verbs, global_options = man_sections(text)
        global_terms = "\n".join(global_options)
        for verb in CONTRACT_VERBS.get(program, []):
            if verb not in verbs:
                problem(f"{page}: the verb “{verb}” of the contract has no subsection")
        for option in CONTRACT_OPTIONS.get(program, []):
            if option not in words:
                problem(f"{page}: the option {option} of the contract is missing")
        if path and CONTRACT_VERBS.get(program):
            usage = help_usage(program, path)
            if not usage:
                problem(f"{program} --help lists no verb")
            for verb, options in usage.items():
                if verb not in verbs:
                    problem(f"{page}: “{program} {verb}” (from --help) has no subsection")
                    continue
                for option in options:
                    pattern = rf"(?<![\w-]){re.escape(option)}(?![\w-])"
                    if not re.search(pattern, verbs[verb]) and not re.search(pattern, global_terms):
                        problem(f"{page}: “{program} {verb}” does not describe {option}")
            for verb in verbs:
                if verb not in usage:
                    problem(f"{page}: the page describes “{verb}”, which {program} --help does not list")
        for heading in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS" if program != "pcmbn-logbook" else "OPTIONS",
                        "FILES", "SEE ALSO"):
            if not re.search(rf'^\.SH "{heading}"', text, re.M):
                problem(f"{page}: no {heading} section")
        if shutil.which("man"):
            out = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page],
                                 capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
            warnings = [l for l in out.stderr.splitlines() if l.strip()]
            if out.returncode != 0 or warnings:
                problem(f"{page}: man reports: {' | '.join(warnings) or out.returncode}")


# What the GNOME runtime (45) holds, by pkg-config name.
RUNTIME_PROVIDES = {
    "glib-2.0", "gio-2.0", "gobject-2.0", "gmodule-2.0", "json-glib-1.0", "sqlite3",
    "libsoup-3.0", "cairo", "cairo-pdf", "pango", "pangocairo", "gtk4", "libadwaita-1", "zlib",
    "libsecret-1", "nettle",
}
# What each module of the manifest provides, by pkg-config name.
MODULE_PROVIDES = {"libxlsxwriter": {"xlsxwriter"}, "libsodium": {"libsodium"},
                   "libdeflate": {"libdeflate"}}


def meson_dependencies(root):
    names = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        top = rel.split(os.sep)[0]
        if rel != "." and top.startswith(("build", ".", "subprojects", "obj-")):
            dirnames[:] = []
            continue
        if "meson.build" in filenames:
            with open(os.path.join(dirpath, "meson.build"), encoding="utf-8") as f:
                names.update(re.findall(r"\bdependency\(\s*'([^']+)'", f.read()))
    if not names:
        problem(f"{root}: no dependency() in any meson.build")
    return names


def check_flatpak(manifest_path, root):
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        problem(f"{manifest_path}: {e}")
        return
    for key in ("app-id", "runtime", "runtime-version", "sdk", "command", "modules", "finish-args"):
        if key not in manifest:
            problem(f"{manifest_path}: no “{key}”")
    if manifest.get("app-id") != "org.pcmbn.Logbook":
        problem(f"{manifest_path}: app-id must be org.pcmbn.Logbook")
    if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
        problem(f"{manifest_path}: the runtime must be org.gnome.Platform with org.gnome.Sdk")
    if manifest.get("command") != "pcmbn-logbook":
        problem(f"{manifest_path}: command must be pcmbn-logbook")
    if "--share=network" not in manifest.get("finish-args", []):
        problem(f"{manifest_path}: sync needs --share=network")
    modules = manifest.get("modules", [])
    if not isinstance(modules, list) or not modules:
        problem(f"{manifest_path}: no modules")
        return
    names = []
    for module in modules:
        if not isinstance(module, dict) or "name" not in module:
            problem(f"{manifest_path}: a module without a name")
            continue
        names.append(module["name"])
        for source in module.get("sources", []):
            kind = source.get("type")
            if kind == "archive" and not ("sha256" in source or "sha512" in source):
                problem(f"{manifest_path}: {module['name']}: an archive without a checksum")
            if kind == "git" and not ("tag" in source or "commit" in source):
                problem(f"{manifest_path}: {module['name']}: a git source without tag or commit")
        if not module.get("sources"):
            problem(f"{manifest_path}: {module['name']}: no sources")
    last = modules[-1] if isinstance(modules[-1], dict) else {}
    if last.get("name") != "pcmbn-logbook" or last.get("buildsystem") != "meson":
        problem(f"{manifest_path}: the last module must be pcmbn-logbook, built with meson")
    elif not any(s.get("type") == "dir" and os.path.realpath(
            os.path.join(os.path.dirname(manifest_path), s.get("path", ""))) == os.path.realpath(root)
                 for s in last.get("sources", [])):
        problem(f"{manifest_path}: pcmbn-logbook must build from the source tree (a dir source)")
    provided = set(RUNTIME_PROVIDES)
    for name in names:
        provided |= MODULE_PROVIDES.get(name, set())
    for dep in sorted(meson_dependencies(root)):
        if dep not in provided:
            problem(f"{manifest_path}: the meson files need “{dep}”, which neither the runtime "
                    "nor a module provides")


GUIDE_TOPICS = {
    # task: words that must appear in the English guide, then in the Vietnamese one
    "installing": (["apt install", "flatpak", "Windows"], ["apt install", "flatpak", "Windows"]),
    "first run": (["First run", "commune"], ["Lần chạy đầu tiên", "xã"]),
    "daily entry": (["Ctrl+N", "Ctrl+S", "Counselling"], ["Ctrl+N", "Ctrl+S", "Tư vấn"]),
    "sync": (["pcmbn enroll", "pcmbn sync", "Conflict"], ["pcmbn enroll", "pcmbn sync", "Xung đột"]),
    "report": (["30 November", "person-times", "--format pdf"], ["30 tháng 11", "lượt người", "--format pdf"]),
    "server": (["pcmbn-district init", "PCMBN_LISTEN", "systemctl", "/api/v1/health"],
               ["pcmbn-district init", "PCMBN_LISTEN", "systemctl", "/api/v1/health"]),
    "enrolling": (["enroll-code", "--revoke"], ["enroll-code", "--revoke"]),
    "key areas": (["key_area", "population_14_60", "--import", "--set"],
                  ["key_area", "population_14_60", "--import", "--set"]),
    "backups": (["pcmbn-district backup", "-wal", "integrity_check", "generation"],
                ["pcmbn-district backup", "-wal", "integrity_check", "thế hệ"]),
    "dashboard": (["staff-token"], ["staff-token"]),
}


def check_guide(guide_dir, html_dir):
    texts = {}
    for lang in ("en", "vi"):
        path = os.path.join(guide_dir, lang + ".md")
        try:
            with open(path, encoding="utf-8") as f:
                texts[lang] = f.read()
        except OSError as e:
            problem(f"{path}: {e}")
            return
        page = os.path.join(html_dir, lang + ".html")
        try:
            with open(page, encoding="utf-8") as f:
                html = f.read()
            if f'<html lang="{lang}">' not in html or "<nav>" not in html:
                problem(f"{page}: not a generated guide page")
            if re.search(r'<(link|script|img)\b', html):
                problem(f"{page}: must be self-contained (no link, script or img)")
        except OSError as e:
            problem(f"{page}: {e}")
    for lang in ("en", "vi"):
        for task, words in GUIDE_TOPICS.items():
            for word in words[0 if lang == "en" else 1]:
                if word not in texts[lang]:
                    problem(f"{lang}.md: the task “{task}” does not mention “{word}”")
    structure = {}
    for lang, text in texts.items():
        stripped = re.sub(r"```.*?```", "", text, flags=re.S)
        structure[lang] = [len(m) for m in re.findall(r"^(#+) ", stripped, re.M)]
        structure[lang + "-code"] = len(re.findall(r"^```", text, re.M))
        structure[lang + "-tables"] = len(re.findall(r"^\|[-|]+\|$", text, re.M))
    if structure["en"] != structure["vi"]:
        problem(f"vi.md has headings {structure['vi']}, en.md {structure['en']}: "
                "the translation must follow the original section by section")
    if structure["en-code"] != structure["vi-code"]:
        problem("vi.md and en.md have a different number of command blocks")
    if structure["en-tables"] != structure["vi-tables"]:
        problem("vi.md and en.md have a different number of tables")
    # Real Vietnamese: its letters with diacritics, in quantity.
    marks = len(re.findall(r"[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
                           texts["vi"], re.I))
    if marks < 500:
        problem(f"vi.md has only {marks} Vietnamese letters with diacritics: is it translated?")
    for verb in CONTRACT_VERBS["pcmbn-district"]:
        if verb not in ("serve",) and f"pcmbn-district {verb}" not in texts["en"] and f" {verb} " not in texts["en"]:
            problem(f"en.md: the district's verb “{verb}” is not explained")


REQUIRED_HARDENING = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes", "StateDirectory": "pcmbn-district", "User": "pcmbn-district",
    "CapabilityBoundingSet": "",
}


def parse_unit(path):
    sections, current = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def check_unit(service, conf):
    unit = parse_unit(service)
    svc = unit.get("Service", {})
    for key, value in REQUIRED_HARDENING.items():
        if value not in svc.get(key, []):
            problem(f"{service}: needs {key}={value}")
    # A connection is a descriptor: systemd's default of 1,024 is too few for
    # a district, and an unbounded limit hides a leak.
    nofile = svc.get("LimitNOFILE", [])
    if not nofile or not nofile[-1].isdigit() or not 4096 <= int(nofile[-1]) <= 65536:
        problem(f"{service}: needs LimitNOFILE between 4096 and 65536")
    if any(v.lower() in ("root", "0") for v in svc.get("User", [])):
        problem(f"{service}: must not run as root")
    execs = svc.get("ExecStart", [])
    if len(execs) != 1 or not execs[0].startswith("/usr/bin/pcmbn-district serve "):
        problem(f"{service}: ExecStart must run /usr/bin/pcmbn-district serve")
    env_files = [v.lstrip("-") for v in svc.get("EnvironmentFile", [])]
    if env_files != ["/etc/pcmbn-district/pcmbn-district.conf"]:
        problem(f"{service}: EnvironmentFile must be /etc/pcmbn-district/pcmbn-district.conf")
    defined = {}
    with open(conf, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line)
            if not m:
                problem(f"{conf}:{number}: not NAME=value")
                continue
            defined[m.group(1)] = m.group(2)
    for name in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", " ".join(execs)):
        if name not in defined:
            problem(f"{service}: uses ${name}, which {conf} does not define")
    db = defined.get("PCMBN_DB", "")
    if not db.startswith("/var/lib/pcmbn-district/"):
        problem(f"{conf}: PCMBN_DB must lie in the state directory /var/lib/pcmbn-district/")
    if db not in unit.get("Unit", {}).get("ConditionPathExists", [db]):
        problem(f"{service}: ConditionPathExists must be the database {db}")
    if "multi-user.target" not in unit.get("Install", {}).get("WantedBy", []):
        problem(f"{service}: WantedBy=multi-user.target is missing")
    analyze = shutil.which("systemd-analyze")
    if analyze:
        out = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", service],
                             capture_output=True, text=True, timeout=120)
        m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out.stdout)
        if m:
            print(f"systemd-analyze security: exposure {m.group(1)}")
        # The threshold is on a 0-100 scale: 20 means 2.0, "OK".
        if out.returncode != 0:
            problem(f"{service}: systemd-analyze security exposure above 2.0: "
                    + (m.group(1) if m else out.stderr.strip()))


def check_desktop(desktop, metainfo, icon_dir):
    entries = {}
    with open(desktop, encoding="utf-8") as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                key, _, value = line.strip().partition("=")
                entries.setdefault(key, value)
    app_id = os.path.basename(desktop).removesuffix(".desktop")
    if app_id != "org.pcmbn.Logbook":
        problem(f"{desktop}: the file must be named after the app id")
    if entries.get("Icon") != app_id:
        problem(f"{desktop}: Icon must be {app_id}")
    if entries.get("Exec", "").split()[0:1] != ["pcmbn-logbook"]:
        problem(f"{desktop}: Exec must start pcmbn-logbook")
    for name in (f"hicolor/scalable/apps/{app_id}.svg", f"hicolor/symbolic/apps/{app_id}-symbolic.svg"):
        path = os.path.join(icon_dir, name)
        if not os.path.exists(path):
            problem(f"{path}: missing")
            continue
        with open(path, encoding="utf-8") as f:
            svg = f.read()
        if "<svg" not in svg or 'viewBox="0 0 ' not in svg:
            problem(f"{path}: not an SVG with a viewBox")
        if "symbolic" in name and re.search(r'fill="#(?!2e3436)[0-9a-fA-F]{6}"', svg):
            problem(f"{path}: a symbolic icon is drawn in #2e3436 only, so that it can be recoloured")
    with open(metainfo, encoding="utf-8") as f:
        meta = f.read()
    if f"<launchable type=\"desktop-id\">{app_id}.desktop</launchable>" not in meta:
        problem(f"{metainfo}: the launchable must be {app_id}.desktop")
    if f"<id>{app_id}</id>" not in meta:
        problem(f"{metainfo}: the id must be {app_id}")
    for shot in re.findall(r"<image[^>]*>([^<]+)</image>", meta):
        if not re.search(r"/data/screenshots/[\w.-]+\.png$", shot):
            problem(f"{metainfo}: the screenshot {shot} is not one of data/screenshots/")
    if not re.search(r'<release version="[^"]+" date="\d{4}-\d{2}-\d{2}"', meta):
        problem(f"{metainfo}: no release with a version and a date")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[1], argv[2:]
    if command == "manpages" and len(args) >= 2:
        check_manpages(args[0], args[1:])
    elif command == "flatpak" and len(args) == 2:
        check_flatpak(*args)
    elif command == "guide" and len(args) == 2:
        check_guide(*args)
    elif command == "unit" and len(args) == 2:
        check_unit(*args)
    elif command == "desktop" and len(args) == 3:
        check_desktop(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
