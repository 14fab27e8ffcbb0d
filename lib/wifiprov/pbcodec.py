"""Proto3 encoder/decoder driven by the generated tables in ``pbmessages``.

A decoded message is a ``dict`` holding only the fields present on the wire (read
defaults with ``msg.get(name, default)``); encoding writes fields in field-number
order and omits scalars equal to their default, as the official runtime does, while
oneof members and present submessages are always written.
"""

from micropython import const


# Field kinds of the tables in pbmessages (scripts/gen_proto.py writes them; test_codegen checks these).
_K_UINT = const(0)
_K_INT32 = const(1)
_K_BOOL = const(2)
_K_BYTES = const(3)
_K_STRING = const(4)
_K_MSG = const(5)
_REPEATED = const(8)

_WT_VARINT = const(0)
_WT_FIXED64 = const(1)
_WT_LEN = const(2)
_WT_START_GROUP = const(3)
_WT_END_GROUP = const(4)
_WT_FIXED32 = const(5)
_MAX_VARINT_BYTES = const(10)
_MAX_DEPTH = const(8)
# No request carries a repeated field and no response more than a scan page (<= 255 entries);
# without a cap a 4 KB body of empty entries holds ~40 KB of heap on MicroPython.
_MAX_REPEATED = const(255)
_MASK32 = const(0xFFFFFFFF)
_MASK64 = 0xFFFFFFFFFFFFFFFF
_KIND_MASK = const(7)


class CodecError(ValueError):
    """Raised for any malformed or ill-typed protobuf input."""


def _read_varint(buf, pos, end):
    result = 0
    shift = 0
    for _ in range(_MAX_VARINT_BYTES):
        if pos >= end:
            raise CodecError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result & _MASK64, pos
        shift += 7
    raise CodecError("varint longer than 10 bytes")


def _skip_field(buf, pos, end, wire_type, number, depth):
    """Return the position after an unknown field's value."""
    if wire_type == _WT_VARINT:
        return _read_varint(buf, pos, end)[1]
    if wire_type == _WT_FIXED64:
        pos += 8
    elif wire_type == _WT_FIXED32:
        pos += 4
    elif wire_type == _WT_LEN:
        length, pos = _read_varint(buf, pos, end)
        if length > end - pos:
            raise CodecError("length past the end")
        pos += length
    elif wire_type == _WT_START_GROUP:
        if depth >= _MAX_DEPTH:
            raise CodecError("nesting too deep")
        while True:
            key, pos = _read_varint(buf, pos, end)
            if key & 7 == _WT_END_GROUP:
                if key >> 3 != number:
                    raise CodecError("mismatched end group")
                return pos
            pos = _skip_field(buf, pos, end, key & 7, key >> 3, depth + 1)
    else:
        raise CodecError("invalid wire type")
    if pos > end:
        raise CodecError("truncated fixed-width field")
    return pos


def _find(table, column, key):
    """The field of ``table`` whose ``column`` (0 = number, 1 = name) equals ``key``."""
    for field in table:
        if field[column] == key:
            return field
    return None


def _set_oneof(table, target, group, name):
    for field in table:
        if field[4] == group and field[1] != name and field[1] in target:
            del target[field[1]]


def _decode_into(table, buf, pos, end, target, depth):
    if depth > _MAX_DEPTH:
        raise CodecError("nesting too deep")
    while pos < end:
        key, pos = _read_varint(buf, pos, end)
        number = key >> 3
        wire_type = key & 7
        if number == 0:
            raise CodecError("field number 0")
        field = _find(table, 0, number)
        if field is None:
            pos = _skip_field(buf, pos, end, wire_type, number, depth)
            continue
        name = field[1]
        kind = field[2] & _KIND_MASK
        if kind <= _K_BOOL:
            if wire_type != _WT_VARINT:
                raise CodecError("wrong wire type for " + name)
            value, pos = _read_varint(buf, pos, end)
            if kind == _K_UINT:
                value &= _MASK32
            elif kind == _K_INT32:
                value &= _MASK32
                if value & 0x80000000:
                    value -= 0x100000000
            else:
                value = value != 0
        else:
            if wire_type != _WT_LEN:
                raise CodecError("wrong wire type for " + name)
            length, pos = _read_varint(buf, pos, end)
            if length > end - pos:
                raise CodecError("length past the end")
            stop = pos + length
            if kind == _K_MSG:
                if field[2] & _REPEATED:
                    value = _decode_into(field[3], buf, pos, stop, {}, depth + 1)
                else:
                    # A repeated occurrence of a singular submessage merges into it.
                    value = _decode_into(field[3], buf, pos, stop, target.get(name) or {}, depth + 1)
            elif kind == _K_BYTES:
                value = bytes(buf[pos:stop])
            else:
                try:
                    value = str(bytes(buf[pos:stop]), "utf-8")
                except (UnicodeError, ValueError):
                    raise CodecError("invalid UTF-8 in " + name)
            pos = stop
        if field[2] & _REPEATED:
            values = target.setdefault(name, [])
            if len(values) >= _MAX_REPEATED:
                raise CodecError("too many values for " + name)
            values.append(value)
            continue
        if field[4]:
            _set_oneof(table, target, field[4], name)
        target[name] = value
    return target


def decode(table, data):
    """Decode ``data`` (bytes-like) as the message described by ``table`` into a dict."""
    buf = memoryview(data)
    return _decode_into(table, buf, 0, len(buf), {}, 0)


def _write_varint(out, value):
    value &= _MASK64
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _encode_value(out, field, value):
    number = field[0]
    kind = field[2] & _KIND_MASK
    if kind <= _K_BOOL:
        _write_varint(out, number << 3)
        _write_varint(out, int(value))
        return
    if kind == _K_MSG:
        value = encode(field[3], value)
    elif kind == _K_STRING:
        value = value.encode()
    _write_varint(out, (number << 3) | _WT_LEN)
    _write_varint(out, len(value))
    out.extend(value)


def encode(table, values):
    """Encode the dict ``values`` as the message described by ``table``; returns bytes."""
    for name in values:
        if _find(table, 1, name) is None:
            raise CodecError("unknown field " + name)
    out = bytearray()
    for field in table:
        value = values.get(field[1])
        if value is None:
            continue
        if field[2] & _REPEATED:
            for item in value:
                _encode_value(out, field, item)
        elif field[4] or field[2] & _KIND_MASK == _K_MSG or value:
            _encode_value(out, field, value)
    return bytes(out)
