#!/usr/bin/env python3
"""Writes the mip package files at the repository's root from the device file list, so ``mpremote mip install``
puts on a board's /lib what ``make deploy`` copies there.

    python scripts/gen_mip.py            # write package.json and package-softap.json
    python scripts/gen_mip.py --check    # exit 1, naming each difference, if either is stale

``package.json`` (what ``mpremote mip install github:OWNER/REPO`` reads) lists every lib/ file
of scripts/deploy.py's device file list, as a URL relative to the repository's root, with the
aioble packages deploy.py installs as ``deps`` and the library's ``wifiprov.__version__``.
``package-softap.json`` is the same without ``deps``: mip has no option to skip them, and
without aioble the library provisions over SoftAP.
"""

import argparse
import ast
import json
import os
import sys

import deploy

ROOT = deploy.ROOT
FULL = "package.json"
SOFTAP = "package-softap.json"
VERSION_SOURCE = os.path.join(deploy.LIB, "wifiprov", "__init__.py")


def library_version():
    """``wifiprov.__version__``, read from its source without importing the device package."""
    with open(os.path.join(ROOT, VERSION_SOURCE)) as f:
        tree = ast.parse(f.read(), VERSION_SOURCE)
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__version__"]:
            return ast.literal_eval(node.value)
    raise ValueError("%s sets no __version__" % VERSION_SOURCE)


def packages():
    """``{file name: mip package}`` for both package files."""
    prefix = deploy.LIB + "/"
    urls = [[board[len(prefix):], source] for source, board in deploy.device_files() if board.startswith(prefix)]
    deps = [[name, "latest"] for name in deploy.aioble_packages()[0]]
    version = library_version()
    return {FULL: {"urls": urls, "deps": deps, "version": version},
            SOFTAP: {"urls": urls, "version": version}}


def render(package):
    """The JSON text of ``package``, one ``[target, url]`` or ``[name, version]`` pair a line."""
    fields = []
    for key, value in package.items():
        if isinstance(value, list) and value:
            value = "[\n%s\n  ]" % ",\n".join("    " + json.dumps(row) for row in value)
        else:
            value = json.dumps(value)
        fields.append("  %s: %s" % (json.dumps(key), value))
    return "{\n%s\n}\n" % ",\n".join(fields)


def differences(name, committed, generated):
    """Lines saying how the ``committed`` package ``name`` differs from the ``generated`` one."""
    lines = []
    have, want = dict(map(tuple, committed.get("urls", []))), dict(map(tuple, generated["urls"]))
    for target in sorted(set(want) - set(have)):
        lines.append("%s lacks %s (a device file)" % (name, want[target]))
    for target in sorted(set(have) - set(want)):
        lines.append("%s lists %s, which is not a device file" % (name, have[target]))
    for target in sorted(set(have) & set(want)):
        if have[target] != want[target]:
            lines.append("%s installs %s from %s, not %s" % (name, target, have[target], want[target]))
    for key in ("deps", "version"):
        if committed.get(key) != generated.get(key):
            lines.append("%s has %s %s, not %s" % (name, key, json.dumps(committed.get(key)),
                                                   json.dumps(generated.get(key))))
    return lines


def check():
    """Every difference between the committed package files and what would be written (none: up to date)."""
    lines = []
    for name, package in packages().items():
        try:
            with open(os.path.join(ROOT, name)) as f:
                text = f.read()
        except FileNotFoundError:
            lines.append("%s is missing" % name)
            continue
        if text != render(package):
            lines += differences(name, json.loads(text), package) or ["%s is not formatted as written" % name]
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only verify that the package files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        lines = check()
        for line in lines:
            print(line, file=sys.stderr)
        if lines:
            print("run `make mip` (scripts/gen_mip.py) to update them", file=sys.stderr)
        return 1 if lines else 0
    for name, package in packages().items():
        with open(os.path.join(ROOT, name), "w") as f:
            f.write(render(package))
    print("wrote %s and %s: %d files, version %s" % (FULL, SOFTAP, len(package["urls"]), package["version"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
