"""Client side of the session security schemes 0, 1 and 2 (PROTOCOL.md §5–§7).

Each scheme runs its handshake through ``exchange(request) -> response`` (one
``prov-session`` round trip) and then encrypts requests / decrypts responses. Every
random value is drawn from one injectable ``random_bytes(n)`` so transcripts replay
byte for byte.
"""

import hashlib
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError

import wifiprov_host.pb  # noqa: F401  (puts the generated modules on sys.path)
import constants_pb2
import sec0_pb2
import sec1_pb2
import sec2_pb2
import session_pb2

from wifiprov_host.errors import AuthenticationFailed, DeviceNotAuthenticated, ProtocolError, SessionRejected
from wifiprov_host.srp6a_client import N_LEN, SrpClient, SrpError
from wifiprov_host.transport import RequestFailed


def _parse_session(data, sec_ver, member, expected_msg):
    message = session_pb2.SessionData()
    try:
        message.ParseFromString(bytes(data))
    except DecodeError as exc:
        raise ProtocolError("prov-session answer is not a SessionData: %s" % exc) from exc
    if message.sec_ver != sec_ver or message.WhichOneof("proto") != member:
        raise ProtocolError("prov-session answer is for security %d, expected %d" % (message.sec_ver, sec_ver))
    payload = getattr(message, member)
    if payload.msg != expected_msg:
        raise ProtocolError("prov-session answer has msg %d, expected %d" % (payload.msg, expected_msg))
    return payload


def _check_status(status, step):
    if status != constants_pb2.Success:
        raise ProtocolError("%s answered with status %s" % (step, constants_pb2.Status.Name(status)))


class Security0:
    """No security: one plaintext handshake round, then plaintext traffic."""

    version = 0

    def establish(self, exchange):
        """Run the sec0 handshake (``52 03 a2 01 00``)."""
        request = session_pb2.SessionData(sec_ver=session_pb2.SecScheme0)
        request.sec0.msg = sec0_pb2.S0_Session_Command
        request.sec0.sc.SetInParent()
        try:
            response = exchange(request.SerializeToString())
        except RequestFailed as exc:
            raise SessionRejected("device refused the security 0 session (it uses another scheme?)") from exc
        payload = _parse_session(response, session_pb2.SecScheme0, "sec0", sec0_pb2.S0_Session_Response)
        _check_status(payload.sr.status, "S0SessionResp")

    def encrypt(self, data):
        return bytes(data)

    def decrypt(self, data):
        return bytes(data)


class Security1:
    """X25519 + PoP + one AES-256-CTR stream for everything after the keys (PROTOCOL.md §6)."""

    version = 1

    def __init__(self, pop=b"", random_bytes=os.urandom):
        self.pop = bytes(pop)
        self.random_bytes = random_bytes
        self._stream = None

    def establish(self, exchange):
        """Key exchange and mutual proof of the PoP."""
        private_key = X25519PrivateKey.from_private_bytes(self.random_bytes(32))
        client_pubkey = private_key.public_key().public_bytes_raw()
        request = session_pb2.SessionData(sec_ver=session_pb2.SecScheme1)
        request.sec1.msg = sec1_pb2.Session_Command0
        request.sec1.sc0.client_pubkey = client_pubkey
        try:
            response = exchange(request.SerializeToString())
        except RequestFailed as exc:
            raise SessionRejected("device refused SessionCmd0 (it does not use security 1?)") from exc
        resp0 = _parse_session(response, session_pb2.SecScheme1, "sec1", sec1_pb2.Session_Response0).sr0
        _check_status(resp0.status, "SessionResp0")
        if len(resp0.device_pubkey) != 32 or len(resp0.device_random) != 16:
            raise ProtocolError("SessionResp0 has a %d-byte public key and a %d-byte random"
                                % (len(resp0.device_pubkey), len(resp0.device_random)))
        try:
            shared = private_key.exchange(X25519PublicKey.from_public_bytes(resp0.device_pubkey))
        except ValueError as exc:
            raise ProtocolError("device public key is a low-order point") from exc
        key = shared
        if self.pop:
            key = bytes(a ^ b for a, b in zip(shared, hashlib.sha256(self.pop).digest()))
        self._stream = Cipher(algorithms.AES(key), modes.CTR(resp0.device_random)).encryptor()

        request = session_pb2.SessionData(sec_ver=session_pb2.SecScheme1)
        request.sec1.msg = sec1_pb2.Session_Command1
        request.sec1.sc1.client_verify_data = self._stream.update(resp0.device_pubkey)
        try:
            response = exchange(request.SerializeToString())
        except RequestFailed as exc:
            hint = "the device needs a PoP" if not self.pop else "wrong proof of possession (PoP)"
            raise AuthenticationFailed("device rejected the session: " + hint) from exc
        resp1 = _parse_session(response, session_pb2.SecScheme1, "sec1", sec1_pb2.Session_Response1).sr1
        _check_status(resp1.status, "SessionResp1")
        if self._stream.update(resp1.device_verify_data) != client_pubkey:
            raise DeviceNotAuthenticated("device failed to prove it knows the PoP")

    def encrypt(self, data):
        return self._stream.update(bytes(data))

    def decrypt(self, data):
        return self._stream.update(bytes(data))


class Security2:
    """SRP-6a login + AES-256-GCM (PROTOCOL.md §7).

    ``username`` and ``password`` are the bytes hashed by SRP; ``wire_username`` (default:
    ``username``) is what Cmd0 carries — esp_prov sends Latin-1 but hashes UTF-8, which
    only a test of that quirk needs. ``patch_version`` is the device's ``sec_patch_ver``.
    If the device refuses a 383-byte ``A`` (strict reference device, §7.6) the handshake
    is retried ``short_key_retries`` times with a fresh key.
    """

    version = 2

    def __init__(self, username, password, patch_version=1, random_bytes=os.urandom,
                 wire_username=None, short_key_retries=1):
        self.username = bytes(username)
        self.password = bytes(password)
        self.wire_username = self.username if wire_username is None else bytes(wire_username)
        self.patch_version = patch_version
        self.random_bytes = random_bytes
        self.short_key_retries = short_key_retries
        self.srp = None
        self._channel = None

    def establish(self, exchange):
        """SRP handshake, device proof check, then the GCM channel from ``K[0:32]`` and the nonce."""
        retries = self.short_key_retries
        while True:
            self.srp = SrpClient(self.username, self.password, self.random_bytes)
            request = session_pb2.SessionData(sec_ver=session_pb2.SecScheme2)
            request.sec2.msg = sec2_pb2.S2Session_Command0
            request.sec2.sc0.client_username = self.wire_username
            request.sec2.sc0.client_pubkey = self.srp.A_bytes
            try:
                response = exchange(request.SerializeToString())
                break
            except RequestFailed as exc:
                short = len(self.srp.A_bytes) < N_LEN
                if short and retries > 0:
                    retries -= 1
                    continue
                hint = ("it requires a 384-byte public key and this one had %d bytes; retry" % len(self.srp.A_bytes)
                        if short else "empty username or the device does not use security 2?")
                raise SessionRejected("device refused S2SessionCmd0: " + hint) from exc
        resp0 = _parse_session(response, session_pb2.SecScheme2, "sec2", sec2_pb2.S2Session_Response0).sr0
        _check_status(resp0.status, "S2SessionResp0")
        salt = resp0.device_salt
        try:
            proof = self.srp.process_challenge(salt, resp0.device_pubkey)
        except SrpError as exc:
            raise ProtocolError(str(exc)) from exc

        request = session_pb2.SessionData(sec_ver=session_pb2.SecScheme2)
        request.sec2.msg = sec2_pb2.S2Session_Command1
        request.sec2.sc1.client_proof = proof
        try:
            response = exchange(request.SerializeToString())
        except RequestFailed as exc:
            hint = "wrong username or password"
            if salt[:1] == b"\x00":
                hint += ("; note the device's salt starts with 0x00, which esp_prov-compatible "
                         "clients cannot use: regenerate the salt/verifier")
            raise AuthenticationFailed("device rejected the session: " + hint) from exc
        resp1 = _parse_session(response, session_pb2.SecScheme2, "sec2", sec2_pb2.S2Session_Response1).sr1
        _check_status(resp1.status, "S2SessionResp1")
        try:
            self.srp.verify_device_proof(resp1.device_proof)
        except SrpError as exc:
            raise DeviceNotAuthenticated(str(exc)) from exc
        self._channel = GcmChannel(self.srp.K[:32], resp1.device_nonce, self.patch_version)

    def encrypt(self, data):
        return self._channel.encrypt(data)

    def decrypt(self, data):
        return self._channel.decrypt(data)


class GcmChannel:
    """AES-256-GCM with the tag appended and no AAD (PROTOCOL.md §7.5).

    Patch 1: 12-byte nonce = 8-byte prefix ‖ 32-bit big-endian counter, one counter
    for both directions, advanced after every successful encrypt and decrypt.
    Patch 0: the device's 16-byte nonce is the IV of every message.
    """

    def __init__(self, key, device_nonce, patch_version):
        self._aead = AESGCM(bytes(key))
        self.patch_version = patch_version
        if patch_version == 0:
            self._prefix, self.counter = bytes(device_nonce), None
        else:
            if len(device_nonce) != 12:
                raise ProtocolError("sec_patch_ver 1 needs a 12-byte device_nonce, got %d bytes" % len(device_nonce))
            self._prefix, self.counter = bytes(device_nonce[:8]), struct.unpack(">I", device_nonce[8:])[0]

    def nonce(self):
        """The nonce of the next message."""
        if self.counter is None:
            return self._prefix
        return self._prefix + struct.pack(">I", self.counter)

    def encrypt(self, data):
        sealed = self._aead.encrypt(self.nonce(), bytes(data), None)
        self._advance()
        return sealed

    def decrypt(self, data):
        try:
            plain = self._aead.decrypt(self.nonce(), bytes(data), None)
        except InvalidTag as exc:
            raise ProtocolError("answer failed AES-GCM authentication (wrong sec_patch_ver or session out of step)") from exc
        self._advance()
        return plain

    def _advance(self):
        if self.counter is not None:
            if self.counter >= 0xFFFFFFFF:
                raise ProtocolError("GCM nonce counter exhausted; start a new session")
            self.counter += 1
