"""What the provisioning service looks like on the air (PROTOCOL.md §8.2): UUIDs, endpoint ids, advertising payloads.

Plain functions with no ``bluetooth`` import, so they run (and are tested) on every
interpreter. UUID text is canonical (``021a9004-0382-4aea-bff4-6b3f1c5adfb4``); UUID bytes
are little endian, as Bluetooth sends them and ``bytes(bluetooth.UUID(...))`` gives them.
"""

from binascii import unhexlify

from micropython import const

EXAMPLE_SERVICE_UUID = "021a9004-0382-4aea-bff4-6b3f1c5adfb4"

# Built-in endpoints and their fixed 16-bit ids; custom endpoints follow from 0xFF54.
BUILTIN_IDS = (
    ("prov-ctrl", 0xFF4F),
    ("prov-scan", 0xFF50),
    ("prov-session", 0xFF51),
    ("prov-config", 0xFF52),
    ("proto-ver", 0xFF53),
)
_FIRST_CUSTOM_ID = const(0xFF54)

PAYLOAD_MAX = const(31)  # legacy advertising: advertising data and scan response each
NAME_MAX = const(29)  # a Complete Local Name structure alone fills the scan response

_AD_FLAGS = const(0x01)
_AD_UUID128_COMPLETE = const(0x07)
_AD_NAME_COMPLETE = const(0x09)
_AD_MANUFACTURER = const(0xFF)
_FLAGS_GENERAL_NO_BREDR = const(0x06)


def check_uuid(text):
    """``text`` in lower case if it is a canonical 128-bit UUID, else ``ValueError``."""
    if len(text) != 36:
        raise ValueError("not a 128-bit UUID: " + text)
    for i in range(36):
        ch = text[i]
        if i in (8, 13, 18, 23):
            if ch != "-":
                raise ValueError("not a 128-bit UUID: " + text)
        elif ch not in "0123456789abcdefABCDEF":
            raise ValueError("not a 128-bit UUID: " + text)
    return text.lower()


def uuid_bytes(text):
    """The 16 little-endian bytes of the canonical UUID ``text``."""
    raw = unhexlify(check_uuid(text).replace("-", ""))
    return bytes(raw[15 - i] for i in range(16))


def endpoint_uuid(service_uuid, endpoint_id):
    """The characteristic UUID of ``endpoint_id``: the service UUID with characters 5-8 replaced (§8.2)."""
    service_uuid = check_uuid(service_uuid)
    return "%s%04x%s" % (service_uuid[:4], endpoint_id, service_uuid[8:])


def endpoint_ids(names):
    """``[(name, id), ...]`` for ``names`` in order: built-in endpoints keep their ids (0xFF4F-0xFF53),
    the others get 0xFF54, 0xFF55, ... in the order given."""
    builtin = dict(BUILTIN_IDS)
    out = []
    next_id = _FIRST_CUSTOM_ID
    for name in names:
        endpoint_id = builtin.get(name)
        if endpoint_id is None:
            endpoint_id = next_id
            next_id += 1
        out.append((name, endpoint_id))
    return out


def ad_structure(ad_type, value):
    """One advertising structure: length, type, value."""
    return bytes((len(value) + 1, ad_type)) + value


def advertising_data(service_uuid):
    """Flags (LE General Discoverable, no BR/EDR) + the one 128-bit service UUID: 21 bytes."""
    return ad_structure(_AD_FLAGS, bytes((_FLAGS_GENERAL_NO_BREDR,))) + ad_structure(
        _AD_UUID128_COMPLETE, uuid_bytes(service_uuid)
    )


def scan_response(name, manufacturer_data=None):
    """The Complete Local Name, then manufacturer data (company id first) cut to what fits.

    A name longer than 29 bytes cannot be advertised whole: ``ValueError``. Manufacturer
    data is left out when the name leaves no room, as ESP-IDF does.
    """
    if isinstance(name, str):
        name = name.encode()
    if not name or len(name) > NAME_MAX:
        raise ValueError("BLE device name must be 1..%d bytes, %r is %d" % (NAME_MAX, name, len(name)))
    payload = ad_structure(_AD_NAME_COMPLETE, name)
    room = PAYLOAD_MAX - len(payload) - 2
    if manufacturer_data and room > 0:
        payload += ad_structure(_AD_MANUFACTURER, bytes(manufacturer_data[:room]))
    return payload


def ad_fields(payload):
    """``[(type, value), ...]`` of an advertising payload; ``ValueError`` if it is malformed."""
    fields = []
    i = 0
    while i < len(payload):
        length = payload[i]
        if length == 0 or i + 1 + length > len(payload):
            raise ValueError("malformed advertising structure at byte %d" % i)
        fields.append((payload[i + 1], bytes(payload[i + 2 : i + 1 + length])))
        i += 1 + length
    return fields
