#!/usr/bin/env python3
"""Generate the device codec tables and the host's *_pb2 modules from proto/.

The official protobuf compiler (``grpcio-tools``) parses the schema; from its
descriptor set this script writes ``lib/wifiprov/pbmessages.py`` (the codec's message
tables), ``lib/wifiprov/pbenums.py`` (the enum values, for applications and tests: the
library keeps its own folded constants, which host_tests/host/test_codegen.py checks
against the schema) — both committed — and the host ``*_pb2`` modules into
``scripts/wifiprov_host/pb/`` (generated at set-up).

    python scripts/gen_proto.py            # write them all
    python scripts/gen_proto.py --check    # exit 1 if pbmessages.py or pbenums.py is stale
"""

import argparse
import glob
import os
import sys
import tempfile

import grpc_tools
from grpc_tools import protoc
from google.protobuf import descriptor_pb2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(ROOT, "proto")
TABLES_PATH = os.path.join(ROOT, "lib", "wifiprov", "pbmessages.py")
ENUMS_PATH = os.path.join(ROOT, "lib", "wifiprov", "pbenums.py")
PB2_DIR = os.path.join(ROOT, "scripts", "wifiprov_host", "pb")

FD = descriptor_pb2.FieldDescriptorProto
# Field kinds understood by lib/wifiprov/pbcodec.py (its _K_* constants; test_codegen checks them).
KIND_BY_TYPE = {
    FD.TYPE_UINT32: "K_UINT",
    FD.TYPE_INT32: "K_INT32",
    FD.TYPE_BOOL: "K_BOOL",
    FD.TYPE_ENUM: "K_INT32",
    FD.TYPE_BYTES: "K_BYTES",
    FD.TYPE_STRING: "K_STRING",
    FD.TYPE_MESSAGE: "K_MSG",
}
KIND_VALUES = {"K_UINT": 0, "K_INT32": 1, "K_BOOL": 2, "K_BYTES": 3, "K_STRING": 4, "K_MSG": 5}
REPEATED_FLAG = 8


def proto_files():
    """The schema files, sorted for a stable output."""
    return sorted(glob.glob(os.path.join(PROTO_DIR, "*.proto")))


def run_protoc(args):
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    code = protoc.main(["protoc", "-I" + PROTO_DIR, "-I" + include] + args + proto_files())
    if code != 0:
        raise SystemExit("protoc failed with exit code %d" % code)


def load_descriptors():
    """Parse proto/ with protoc and return its FileDescriptorSet."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "schema.pb")
        run_protoc(["--descriptor_set_out=" + out, "--include_imports"])
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    return fds


def ordered_messages(fds):
    """All messages, each after the messages it contains (tables reference each other)."""
    messages = {}
    for file in fds.file:
        for msg in file.message_type:
            if msg.nested_type or msg.enum_type:
                raise SystemExit("nested definitions are not supported: %s" % msg.name)
            messages[msg.name] = msg
    done, order = set(), []

    def visit(name, trail):
        if name in done:
            return
        if name in trail:
            raise SystemExit("recursive message %s is not supported" % name)
        for field in messages[name].field:
            if field.type == FD.TYPE_MESSAGE:
                visit(field.type_name.lstrip("."), trail + (name,))
        done.add(name)
        order.append(name)

    for name in sorted(messages):
        visit(name, ())
    return [messages[name] for name in order]


def field_row(msg, field):
    kind = KIND_BY_TYPE.get(field.type)
    if kind is None:
        raise SystemExit("%s.%s: field type %d is not supported" % (msg.name, field.name, field.type))
    kind_expr = kind
    if field.label == FD.LABEL_REPEATED:
        if kind != "K_MSG" and kind != "K_BYTES":
            raise SystemExit("%s.%s: repeated scalars are not supported" % (msg.name, field.name))
        kind_expr = "%s | REPEATED" % kind
    kind_expr = kind_expr.replace("K_", "_K_").replace("REPEATED", "_REPEATED")
    sub = field.type_name.lstrip(".") if field.type == FD.TYPE_MESSAGE else "None"
    oneof = field.oneof_index + 1 if field.HasField("oneof_index") else 0
    return "    (%d, %r, %s, %s, %d)," % (field.number, field.name, kind_expr, sub, oneof)


def render_tables(fds):
    """Source text of lib/wifiprov/pbmessages.py."""
    lines = [
        '"""Message tables for pbcodec, generated from proto/ by scripts/gen_proto.py. Do not edit."""',
        "",
        "from micropython import const",
        "",
        "# Field kinds, as in pbcodec (private: folded away when compiled).",
    ]
    for name, value in KIND_VALUES.items():
        lines.append("_%s = const(%d)" % (name, value))
    lines.append("_REPEATED = const(%d)" % REPEATED_FLAG)
    lines += ["", "# Messages: (field number, name, kind, submessage table, oneof group or 0), by number."]
    for msg in ordered_messages(fds):
        fields = sorted(msg.field, key=lambda f: f.number)
        if not fields:
            lines.append("%s = ()" % msg.name)
            continue
        lines.append("%s = (" % msg.name)
        lines += [field_row(msg, field) for field in fields]
        lines.append(")")
    return "\n".join(lines) + "\n"


def enum_values(fds):
    """``[(enum name, file name, [(value name, number), ...]), ...]`` (proto3 without a package:
    every value name is unique)."""
    found = []
    for file in sorted(fds.file, key=lambda f: f.name):
        for enum in file.enum_type:
            found.append((enum.name, file.name, [(value.name, value.number) for value in enum.value]))
    return found


def render_enums(fds):
    """Source text of lib/wifiprov/pbenums.py."""
    lines = [
        '"""Enum values of proto/, generated by scripts/gen_proto.py. Do not edit.',
        "",
        "For applications and tests (e.g. ``pbenums.AuthError`` in an ``on_event`` listener). The library",
        "does not import it: each module folds the values it uses into private constants.",
        '"""',
        "",
        "from micropython import const",
    ]
    for enum, file, values in enum_values(fds):
        lines += ["", "# %s (%s)" % (enum, file)]
        lines += ["%s = const(%d)" % (name, number) for name, number in values]
    return "\n".join(lines) + "\n"


def write_pb2():
    """Generate the host *_pb2 modules (plus a package __init__ that makes their flat imports work)."""
    os.makedirs(PB2_DIR, exist_ok=True)
    run_protoc(["--python_out=" + PB2_DIR])
    with open(os.path.join(PB2_DIR, "__init__.py"), "w") as f:
        f.write(
            '"""Generated *_pb2 modules (scripts/gen_proto.py); they import each other by bare name."""\n\n'
            "import os as _os\nimport sys as _sys\n\n"
            "if _os.path.dirname(__file__) not in _sys.path:\n"
            "    _sys.path.append(_os.path.dirname(__file__))\n"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only verify that pbmessages.py and pbenums.py are "
                        "up to date")
    args = parser.parse_args(argv)
    fds = load_descriptors()
    outputs = ((TABLES_PATH, render_tables(fds)), (ENUMS_PATH, render_enums(fds)))
    if args.check:
        stale = 0
        for path, text in outputs:
            with open(path) as f:
                if f.read() != text:
                    print("%s is stale: run scripts/gen_proto.py" % os.path.relpath(path, ROOT), file=sys.stderr)
                    stale = 1
        return stale
    for path, text in outputs:
        with open(path, "w") as f:
            f.write(text)
    write_pb2()
    print("wrote %s, %s and %s/*_pb2.py" % (os.path.relpath(TABLES_PATH, ROOT), os.path.relpath(ENUMS_PATH, ROOT),
                                           os.path.relpath(PB2_DIR, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
