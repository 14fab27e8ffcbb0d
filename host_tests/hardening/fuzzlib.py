"""Shared pieces of the hardening suite: example budgets, the device-table / official-protobuf
message map, random valid messages, and structure-aware protobuf mutations.

Budgets: CI runs a fixed, seeded number of examples per property (``examples(n)``);
``WIFIPROV_FUZZ=<factor>`` (``make fuzz``) multiplies them and draws fresh random seeds.
Every property counts the examples it really ran in ``TRIED`` (printed at the end of the run).
"""

import collections
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import wifiprov_host.pb  # noqa: F401  (puts the generated *_pb2 modules on sys.path)
import constants_pb2  # noqa: F401
import sec0_pb2
import sec1_pb2
import sec2_pb2
import session_pb2
import wifi_config_pb2
import wifi_constants_pb2
import wifi_ctrl_pb2
import wifi_scan_pb2
from google.protobuf import descriptor as _descriptor

from gen_proto import KIND_VALUES, REPEATED_FLAG
from wifiprov import pbmessages

_K_MSG = KIND_VALUES["K_MSG"]
_REPEATED = REPEATED_FLAG

FUZZ_FACTOR = int(os.environ.get("WIFIPROV_FUZZ", "0") or 0)
TRIED = collections.Counter()
MEASURED = {}

settings.register_profile(
    "ci",
    derandomize=True,  # the seed comes from the test's name: the same examples every run
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile(
    "fuzz",
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("fuzz" if FUZZ_FACTOR else "ci")


def examples(n):
    """The example budget of a property: ``n`` in CI, ``n`` x WIFIPROV_FUZZ in a fuzz campaign."""
    return n * FUZZ_FACTOR if FUZZ_FACTOR else n


def tried(name, count=1):
    """Count ``count`` examples (or cases) of property ``name``."""
    TRIED[name] += count


def measured(name, value):
    """Keep the worst ``value`` seen for ``name`` (a number for the end-of-run report)."""
    MEASURED[name] = max(value, MEASURED.get(name, value))


# ---------------------------------------------------------------- the message map

_PB_MODULES = (session_pb2, sec0_pb2, sec1_pb2, sec2_pb2, wifi_config_pb2, wifi_constants_pb2, wifi_ctrl_pb2,
               wifi_scan_pb2)


def _pb_classes():
    found = {}
    for module in _PB_MODULES:
        for name in module.DESCRIPTOR.message_types_by_name:
            found[name] = getattr(module, name)
    return found


PB = _pb_classes()
TABLES = dict((name, getattr(pbmessages, name)) for name in PB)
MESSAGE_NAMES = sorted(PB)
# What each request endpoint's (plaintext) body is.
ENDPOINT_MESSAGE = {
    "prov-session": "SessionData",
    "prov-config": "WiFiConfigPayload",
    "prov-scan": "WiFiScanPayload",
    "prov-ctrl": "WiFiCtrlPayload",
}


def to_device(message):
    """An official protobuf message as the device codec represents it (only fields present)."""
    out = {}
    for field, value in message.ListFields():
        if field.type == _descriptor.FieldDescriptor.TYPE_MESSAGE:
            if field.is_repeated:
                value = [to_device(item) for item in value]
            else:
                value = to_device(value)
        elif field.is_repeated:
            value = list(value)
        out[field.name] = value
    return out


def official_parse(name, data):
    """``(True, message)`` if the official runtime parses ``data`` as ``name``, else ``(False, None)``."""
    message = PB[name]()
    try:
        message.ParseFromString(bytes(data))
    except Exception:  # DecodeError, or RecursionError-like limits of the runtime
        return False, None
    return True, message


# ---------------------------------------------------------------- random valid messages

_FD = _descriptor.FieldDescriptor
_INT32 = st.integers(-(2**31), 2**31 - 1)
_SMALL_ENUM = st.integers(-2, 8)


def _scalar(field):
    if field.type in (_FD.TYPE_INT32, _FD.TYPE_ENUM):
        return st.one_of(_SMALL_ENUM, _INT32)
    if field.type == _FD.TYPE_UINT32:
        return st.one_of(st.integers(0, 20), st.integers(0, 2**32 - 1))
    if field.type == _FD.TYPE_BOOL:
        return st.booleans()
    if field.type == _FD.TYPE_BYTES:
        return st.binary(max_size=80)
    if field.type == _FD.TYPE_STRING:
        return st.text(max_size=24)
    raise AssertionError("field type %d not in the schema before" % field.type)


@st.composite
def pb_messages(draw, name, depth=0):
    """A random, valid official message of type ``name`` (submessages nested up to 4 deep)."""
    message = PB[name]()
    descriptor = message.DESCRIPTOR
    oneof_choice = {}
    for oneof in descriptor.oneofs:
        fields = list(oneof.fields)
        oneof_choice[oneof.name] = draw(st.sampled_from([None] + fields))
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof_choice[oneof.name] is not field:
            continue
        if oneof is None and not draw(st.booleans()):
            continue
        repeated = field.is_repeated
        if field.type == _FD.TYPE_MESSAGE:
            if depth >= 4:
                continue
            sub_name = field.message_type.name
            if repeated:
                for item in draw(st.lists(pb_messages(sub_name, depth + 1), max_size=4)):
                    getattr(message, field.name).add().CopyFrom(item)
            else:
                getattr(message, field.name).CopyFrom(draw(pb_messages(sub_name, depth + 1)))
                getattr(message, field.name).SetInParent()
        elif repeated:
            getattr(message, field.name).extend(draw(st.lists(_scalar(field), max_size=4)))
        else:
            setattr(message, field.name, draw(_scalar(field)))
    return message


# ---------------------------------------------------------------- wire-level mutations


def varint(value):
    """The canonical varint bytes of ``value`` (0 <= value < 2**64)."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(data, pos):
    result = shift = 0
    while pos < len(data) and shift < 70:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
    raise ValueError("bad varint")


Span = collections.namedtuple("Span", "table field key_start length_start value_start end")


def spans(table, data, start=0, end=None, out=None):
    """Every well-formed field of ``data`` read as ``table``, recursing into known submessages.

    ``field`` is the table entry or None (unknown); ``length_start`` is None unless the field
    is length-delimited. Parsing stops quietly at the first malformed byte.
    """
    out = [] if out is None else out
    end = len(data) if end is None else end
    pos = start
    try:
        while pos < end:
            key_start = pos
            key, pos = _read_varint(data, pos)
            number, wire_type = key >> 3, key & 7
            field = None
            for entry in table:
                if entry[0] == number:
                    field = entry
            if wire_type == 0:
                _, pos = _read_varint(data, pos)
                out.append(Span(table, field, key_start, None, None, pos))
            elif wire_type == 2:
                length_start = pos
                length, pos = _read_varint(data, pos)
                if pos + length > end:
                    return out
                out.append(Span(table, field, key_start, length_start, pos, pos + length))
                if field is not None and field[2] & 7 == _K_MSG:
                    spans(field[3], data, pos, pos + length, out)
                pos += length
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            else:
                return out
    except ValueError:
        pass
    return out


HUGE_LENGTHS = (2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1, 4097, 65536)


def _replace(data, start, stop, new):
    return data[:start] + new + data[stop:]


@st.composite
def mutation(draw, table, data):
    """Apply one random mutation to ``data`` (a message of ``table``); returns the new bytes."""
    kinds = ["flip", "truncate", "extend", "insert", "delete", "random", "overlong_varint", "nest_groups",
             "nest_unknown", "duplicate", "oneof_swap", "huge_length", "nest_known", "wire_type"]
    kind = draw(st.sampled_from(kinds))
    fields = spans(table, data)
    if kind == "flip" and data:
        index = draw(st.integers(0, len(data) - 1))
        return _replace(data, index, index + 1, bytes([data[index] ^ (1 << draw(st.integers(0, 7)))]))
    if kind == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if kind == "extend":
        return data + draw(st.binary(min_size=1, max_size=40))
    if kind == "insert":
        index = draw(st.integers(0, len(data)))
        return _replace(data, index, index, draw(st.binary(min_size=1, max_size=12)))
    if kind == "delete" and data:
        index = draw(st.integers(0, len(data) - 1))
        return _replace(data, index, index + draw(st.integers(1, 8)), b"")
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "overlong_varint" and fields:
        span = draw(st.sampled_from(fields))
        key, after = _read_varint(data, span.key_start)
        # The same key as 10 or 11 bytes: 10 is the protobuf maximum, 11 must be refused.
        padded = bytes([(key >> (7 * i)) & 0x7F | 0x80 for i in range(draw(st.sampled_from([9, 10])))]) + b"\x00"
        return _replace(data, span.key_start, after, padded)
    if kind == "nest_groups":
        depth = draw(st.integers(1, 40))
        number = draw(st.integers(1, 30))
        open_tag = varint(number << 3 | 3)
        close_tag = varint(number << 3 | 4)
        if draw(st.booleans()):
            close_tag = b""  # never closed
        index = draw(st.integers(0, len(data)))
        return _replace(data, index, index, open_tag * depth + close_tag * depth)
    if kind == "nest_unknown":
        body = draw(st.binary(max_size=8))
        for _ in range(draw(st.integers(1, 60))):
            body = varint(draw(st.integers(16, 40)) << 3 | 2) + varint(len(body)) + body
        return data + body
    if kind == "duplicate" and fields:
        span = draw(st.sampled_from(fields))
        piece = data[span.key_start : span.end]
        index = draw(st.sampled_from([span.key_start, span.end, len(data)]))
        return _replace(data, index, index, piece * draw(st.integers(1, 30)))
    if kind == "oneof_swap":
        members = [s for s in fields if s.field is not None and s.field[4]]
        if members:
            span = draw(st.sampled_from(members))
            group = [f for f in span.table if f[4] == span.field[4] and f is not span.field]
            if group:
                other = draw(st.sampled_from(group))
                _, after = _read_varint(data, span.key_start)
                wire = 2 if span.length_start is not None else 0
                return _replace(data, span.key_start, after, varint(other[0] << 3 | wire))
    if kind == "huge_length":
        delimited = [s for s in fields if s.length_start is not None]
        if delimited:
            span = draw(st.sampled_from(delimited))
            return _replace(data, span.length_start, span.value_start, varint(draw(st.sampled_from(HUGE_LENGTHS))))
    if kind == "nest_known":
        # Wrap the message into its own first submessage field again and again (schema-shaped nesting).
        subs = [f for f in table if f[2] & 7 == _K_MSG]
        if subs:
            field = draw(st.sampled_from(subs))
            body = data
            for _ in range(draw(st.integers(1, 20))):
                body = varint(field[0] << 3 | 2) + varint(len(body)) + body
            return body
    if kind == "wire_type" and fields:
        span = draw(st.sampled_from(fields))
        key, after = _read_varint(data, span.key_start)
        return _replace(data, span.key_start, after, varint((key & ~7) | draw(st.integers(0, 7))))
    return data + b"\x00"


@st.composite
def mutated(draw, table, seeds, max_mutations=4):
    """A seed from the strategy ``seeds`` with 1..``max_mutations`` mutations applied."""
    data = bytes(draw(seeds))
    for _ in range(draw(st.integers(1, max_mutations))):
        data = draw(mutation(table, data))
    return data


def hostile(name):
    """Bytes aimed at message ``name``: valid encodings, mutated ones, or plain garbage."""
    valid = pb_messages(name).map(lambda m: m.SerializeToString())
    return st.one_of(valid, mutated(TABLES[name], valid), st.binary(max_size=600))


def device_normal(table, decoded):
    """``decoded`` (a device dict) without scalars that equal their default outside a oneof: proto3
    gives them no presence, so the official runtime forgets them while the device keeps what it read."""
    out = {}
    for field in table:
        name = field[1]
        if name not in decoded:
            continue
        value = decoded[name]
        kind = field[2] & 7
        if kind == _K_MSG:
            if field[2] & _REPEATED:
                value = [device_normal(field[3], item) for item in value]
            else:
                value = device_normal(field[3], value)
        elif not field[4] and not field[2] & _REPEATED and not value:
            continue
        out[name] = value
    return out


def overlong_prefix(table, data, start=0, end=None):
    """True if a field key or length prefix in ``data`` (read as ``table``) takes more than 5 bytes,
    or a key names a field above 2**29 - 1: the official runtime refuses those, the device codec
    reads them (harmless leniency: the values are the same)."""
    end = len(data) if end is None else end
    pos = start
    try:
        while pos < end:
            key_start = pos
            key, pos = _read_varint(data, pos)
            if pos - key_start > 5 or key >> 3 >= 1 << 29:
                return True
            number, wire_type = key >> 3, key & 7
            field = None
            for entry in table:
                if entry[0] == number:
                    field = entry
            if wire_type == 0:
                _, pos = _read_varint(data, pos)
            elif wire_type == 2:
                length_start = pos
                length, pos = _read_varint(data, pos)
                if pos - length_start > 5:
                    return True
                if field is not None and field[2] & 7 == _K_MSG and pos + length <= end:
                    if overlong_prefix(field[3], data, pos, pos + length):
                        return True
                pos += length
            elif wire_type == 1:
                pos += 8
            elif wire_type == 5:
                pos += 4
            elif wire_type in (3, 4):
                continue
            else:
                return False
    except ValueError:
        return False
    return False
