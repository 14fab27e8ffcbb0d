"""The ``proto-ver`` JSON document, byte-exact as cJSON's formatted printer writes it (PROTOCOL.md §3)."""

_PROV_VERSION = "v1.1"


def _quote(text):
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif code < 0x20:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _caps(caps):
    return "[" + ", ".join(_quote(cap) for cap in caps) + "]"


def render(sec_ver, has_pop=True, app_info=()):
    """Return the UTF-8 bytes of the proto-ver answer.

    ``app_info`` is a sequence of ``(label, version, caps)`` in call order; they come
    before ``"prov"``. ``has_pop`` only matters for security 1 (``no_pop`` capability).
    """
    caps = []
    if sec_ver == 0:
        caps.append("no_sec")
    elif sec_ver == 1 and not has_pop:
        caps.append("no_pop")
    caps.append("wifi_scan")
    patch = 1 if sec_ver == 2 else 0
    members = []
    for label, version, app_caps in app_info:
        members.append(
            "\t%s:\t{\n\t\t\"ver\":\t%s,\n\t\t\"cap\":\t%s\n\t}" % (_quote(label), _quote(version), _caps(app_caps))
        )
    members.append(
        "\t\"prov\":\t{\n\t\t\"ver\":\t%s,\n\t\t\"sec_ver\":\t%d,\n\t\t\"sec_patch_ver\":\t%d,\n\t\t\"cap\":\t%s\n\t}"
        % (_quote(_PROV_VERSION), sec_ver, patch, _caps(caps))
    )
    return ("{\n" + ",\n".join(members) + "\n}").encode()
