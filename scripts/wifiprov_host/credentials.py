"""Security 2 salt/verifier generation, as esp_prov's ``--sec2_gen_cred`` (PROTOCOL.md §7.4, §7.8).

The verifier uses esp_prov's ``x`` (leading zero bytes stripped), so esp_prov and this
tool can log in with it. Salts never start with 0x00 (esp_prov-style clients would fail);
a pair whose inner hash starts with 0x00 also fails with the phone apps, which is warned about.
"""

import json
import os

from wifiprov_host.srp6a_client import G, N, compute_x, identity_hash, to_bytes

MIN_SALT_LEN = 1
MAX_SALT_LEN = 64


class Credentials:
    """A generated pair: ``salt`` and ``verifier`` bytes plus ``warnings`` (list of text)."""

    def __init__(self, username, salt, verifier, warnings):
        self.username = username
        self.salt = salt
        self.verifier = verifier
        self.warnings = warnings

    def config_entry(self):
        """The keys the device configuration takes (hex strings)."""
        return {"sec2_username": self.username, "sec2_salt": self.salt.hex(), "sec2_verifier": self.verifier.hex()}


def make_verifier(username, password, salt):
    """Verifier bytes (minimal big-endian, like esp_prov) for UTF-8 ``username``/``password`` and ``salt``."""
    if not salt or salt[0] == 0:
        raise ValueError("salt must be non-empty and must not start with 0x00 (esp_prov-style clients strip it)")
    x = compute_x(salt, username.encode("utf-8"), password.encode("utf-8"))
    return to_bytes(pow(G, x, N))


def credential_warnings(username, password):
    """Compatibility problems of a username/password pair, as readable sentences."""
    warnings = []
    if identity_hash(username.encode("utf-8"), password.encode("utf-8"))[0] == 0:
        warnings.append(
            "H(username:password) starts with a zero byte: esp_prov and this tool strip it when computing x, "
            "the ESP phone apps do not, so the phone apps will fail to log in with this pair; choose another password"
        )
    try:
        username.encode("ascii")
    except UnicodeEncodeError:
        warnings.append(
            "the username is not ASCII: esp_prov sends it Latin-1 encoded and can never log in "
            "(this tool and the phone apps send UTF-8 and can)"
        )
    return warnings


def generate(username, password, salt_len=16, random_bytes=os.urandom):
    """Draw a salt of ``salt_len`` bytes (not starting with 0x00) and compute the verifier."""
    if not username or not password:
        raise ValueError("username and password must not be empty")
    if not MIN_SALT_LEN <= salt_len <= MAX_SALT_LEN:
        raise ValueError("salt length must be %d..%d bytes" % (MIN_SALT_LEN, MAX_SALT_LEN))
    salt = random_bytes(salt_len)
    while salt[0] == 0:
        salt = random_bytes(salt_len)
    return Credentials(username, salt, make_verifier(username, password, salt), credential_warnings(username, password))


def c_arrays(salt, verifier):
    """The C arrays esp_prov prints (``sec2_salt`` and ``sec2_verifier``, 96 characters per line)."""
    out = []
    for name, data in (("sec2_salt", salt), ("sec2_verifier", verifier)):
        text = ", ".join(format(b, "#04x") for b in data)
        body = "\n    ".join(text[i:i + 96] for i in range(0, len(text), 96))
        out.append("static const char %s[] = {\n    %s\n};\n" % (name, body))
    return "\n".join(out)


def write_config(path, credentials):
    """Merge the credentials into the JSON device config at ``path`` (created if missing).

    Sets ``security`` to 2 and drops a dev-mode ``sec2_password`` (the device takes either
    that or a salt/verifier pair, not both).
    """
    config = {}
    if os.path.exists(path):
        with open(path) as f:
            config = json.load(f)
        if not isinstance(config, dict):
            raise ValueError("%s does not hold a JSON object" % path)
    config["security"] = 2
    config.pop("sec2_password", None)
    config.update(credentials.config_entry())
    with open(path, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    return config
