"""Randomised cross-checks of the device crypto against hashlib and `cryptography` (CPython only)."""

import hashlib
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wifiprov.aes_ctr import AesCtr
from wifiprov.aes_gcm import AesGcm, TagMismatch
from wifiprov.sha512 import sha512
from wifiprov.x25519 import public_key, x25519


@pytest.fixture
def rng():
    return random.Random(0x5EC2)


def test_sha512_matches_hashlib(rng):
    for _ in range(300):
        data = rng.randbytes(rng.randrange(0, 700))
        ours = sha512()
        ref = hashlib.sha512()
        pos = 0
        while pos < len(data):
            size = rng.choice((1, 7, 111, 112, 127, 128, 129, 255, 256, 300))
            ours.update(data[pos:pos + size])
            ref.update(data[pos:pos + size])
            pos += size
            if rng.random() < 0.2:
                assert ours.copy().digest() == ref.copy().digest()
        assert ours.digest() == ref.digest()
        assert sha512(data).digest() == hashlib.sha512(data).digest()


def test_x25519_matches_cryptography(rng):
    for _ in range(150):
        a = rng.randbytes(32)
        b = rng.randbytes(32)
        ref_a = X25519PrivateKey.from_private_bytes(a)
        ref_b_public = X25519PrivateKey.from_private_bytes(b).public_key()
        assert public_key(a) == ref_a.public_key().public_bytes_raw()
        assert x25519(a, ref_b_public.public_bytes_raw()) == ref_a.exchange(ref_b_public)


def test_x25519_arbitrary_u_matches_cryptography(rng):
    # u values that are not on the curve, have the top bit set or are >= p.
    for _ in range(100):
        a = rng.randbytes(32)
        u = rng.randbytes(32)
        expected = X25519PrivateKey.from_private_bytes(a).exchange(X25519PublicKey.from_public_bytes(u))
        assert x25519(a, u) == expected


def test_aes_ctr_matches_cryptography(rng):
    for _ in range(200):
        key = rng.randbytes(32)
        counter = rng.choice((rng.randbytes(16), b"\xff" * 16, rng.randbytes(8) + b"\xff" * 7 + bytes((rng.randrange(240, 256),))))
        ours = AesCtr(key, counter)
        ref = Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor()
        for _ in range(rng.randrange(1, 8)):
            data = rng.randbytes(rng.randrange(0, 80))
            assert ours.crypt(data) == ref.update(data)


@pytest.mark.parametrize("nonce_size", [12, 16])
def test_aes_gcm_matches_cryptography(rng, nonce_size):
    for _ in range(150):
        key = rng.randbytes(32)
        nonce = rng.randbytes(nonce_size)
        plaintext = rng.randbytes(rng.randrange(0, 100))
        if nonce_size == 12:
            expected = AESGCM(key).encrypt(nonce, plaintext, None)
        else:
            enc = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
            expected = enc.update(plaintext) + enc.finalize() + enc.tag
        gcm = AesGcm(key)
        assert gcm.encrypt(nonce, plaintext) == expected
        assert gcm.decrypt(nonce, expected) == plaintext
        tampered = bytearray(expected)
        tampered[rng.randrange(len(tampered))] ^= 1 << rng.randrange(8)
        with pytest.raises(TagMismatch):
            gcm.decrypt(nonce, bytes(tampered))
