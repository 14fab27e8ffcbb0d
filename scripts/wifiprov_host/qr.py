"""Parse the provisioning QR payload (PROTOCOL.md §13) into CLI settings.

Accepts the JSON (``{"ver":"v1","name":"PROV_…","pop":"…","transport":"ble"}``, with
``"username"`` for security 2, where ``"pop"`` carries the SRP password) or the
esp-jumpstart URL that wraps it in ``?data=``.
"""

import json
import urllib.parse

TRANSPORTS = ("ble", "softap")


class QrError(ValueError):
    """The payload is not a provisioning QR code."""


def parse(payload):
    """Return a dict with ``service_name``, ``transport`` and, when present, ``pop``,
    ``sec2_username``, ``sec2_pwd`` and ``sec_ver``."""
    text = payload.strip()
    if text.startswith(("http://", "https://")):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query)
        if "data" not in query:
            raise QrError("QR URL has no data= parameter")
        text = query["data"][0]
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise QrError("QR payload is not JSON: %s" % exc) from exc
    if not isinstance(document, dict):
        raise QrError("QR payload must be a JSON object")
    if document.get("ver") != "v1":
        raise QrError("unsupported QR payload version %r (expected \"v1\")" % document.get("ver"))
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise QrError("QR payload has no device name")
    transport = document.get("transport")
    if transport not in TRANSPORTS:
        raise QrError("QR transport must be one of %s, got %r" % (", ".join(TRANSPORTS), transport))
    result = {"service_name": name, "transport": transport}
    pop = document.get("pop")
    username = document.get("username")
    for key, value in (("pop", pop), ("username", username)):
        if value is not None and not isinstance(value, str):
            raise QrError("QR %s must be a string" % key)
    if username is not None:
        result["sec2_username"] = username
        if pop is not None:
            result["sec2_pwd"] = pop
    elif pop is not None:
        result["pop"] = pop
    security = document.get("security")
    if security is not None:
        if security not in (0, 1, 2) or isinstance(security, bool):
            raise QrError("QR security must be 0, 1 or 2, got %r" % security)
        result["sec_ver"] = security
    return result
