"""Known-answer tests for SHA-512 (FIPS 180 vectors and the sec2 SRP hashes), for both of its variants.

``wifiprov.sha512`` uses its viper block function where the port compiles native code
(the unix VMs) and pure Python elsewhere (WebAssembly, CPython); ``PURE`` is a second copy
of the module that could not load the viper one, so the pure code is tested everywhere.
"""

import gc
import random
import sys
import unittest

import wifiprov
import wifiprov.sha512 as DEFAULT
from devtest import load_vectors, unhex
from wifiprov.sha512 import sha512

# 1000 bytes of a fixed pattern; digests computed with CPython's hashlib.
PATTERN = bytes((i * 7 + 3) & 255 for i in range(1000))
PATTERN_DIGESTS = {
    111: "68cffa6d0d76f309c9ce0d35280939f8e25990c43b7b086ccdf709be35b07d4ddba599541ff2b1c19d34ea49aeafb9659adb7ac3c0b078bb30a22d57fc6687ef",
    112: "d0865c524d1dddf7c23b799c413f5adcd7caefd3f66a9b49750ec81066012c25a8bcf94ddea6dc525691673097ca40e0101e897fc97218cfdb0704084e2bef4b",
    113: "606314353bd419f9f7720e8297f2af8a9ed5f0bb0bed29b716bf18e34577623ae7effa46f496bd4282134e7e895284a4760a910d2ad8ec11e9dd75863058cd9c",
    127: "e0b6a20f1c0c88970a9340152cd5a1c1ecf3d3b8de55102741879438079473540133b812706e5dbec322c8c9523b6fc8c6d16ee626e87ad5fe3d2916afedc369",
    128: "99b16f17aa0b969a5b8f08f367719d516e330ccd2660b6f0688ec031dbc783de50a1cd185a2568dba75070a2403d17d4741d163578515dfd2ff756ddfe4d47b1",
    129: "a1556e29185778aa5991e34b8884c840d589f0fbb4b8ed590e51e9ac4eb03a008125000db2671f8fe7f485b59a77b518670078ecb41a54b4cd02a7f1d2ca4c6d",
    239: "18ee83f30261c3c645d52aee6a209105b25bba39d33845ef48984cc238e4f21661fb7bd7dd4336f71c40fe87d95e5115d6c7be52e0d3e7e7877d24500b5b58df",
    240: "9d60ee60d29ec4fa0b9690c04c1c29413bbe3ed345639182d9d53dcc05926b77b04f4fec1562fb85182954c96b7cbb5d5e4410251ff4f352d09a2da90419fb13",
    1000: "00e36fccf193e59697a92b5ab24666ce6326d7fa16bf10832d0991ddc591112e9dfa6a636950ed9c4d67344a760654c2ff7785e1d60094d651038735b5dccabd",
}


def int_bytes(hex_text, length):
    """Big-endian bytes of ``length`` bytes for a hex number from the vectors."""
    return int(hex_text, 16).to_bytes(length, "big")


def _load_with(viper_module):
    """Import wifiprov.sha512 again with ``viper_module`` as its viper module, then put the first one back.

    ``None`` makes that import fail, as on a port without a native emitter.
    """
    saved = sys.modules.pop("wifiprov.sha512")
    viper = sys.modules.get("wifiprov.sha512_viper")
    sys.modules["wifiprov.sha512_viper"] = viper_module
    try:
        __import__("wifiprov.sha512")
        return sys.modules["wifiprov.sha512"]
    finally:
        sys.modules["wifiprov.sha512"] = saved
        wifiprov.sha512 = saved
        if viper is None:
            del sys.modules["wifiprov.sha512_viper"]
        else:
            sys.modules["wifiprov.sha512_viper"] = viper


PURE = _load_with(None)


def _port_compiles_viper():
    try:
        exec("import micropython\n@micropython.viper\ndef f(x: int) -> int:\n    return x\n")
    except Exception:  # SyntaxError without a native emitter; CPython has no micropython.viper
        return False
    return True


class DefaultVariant:
    """The module as imported: the viper block function where the port compiles it, else pure Python."""

    sha512 = DEFAULT.sha512
    native = DEFAULT.native


class PureVariant:
    """The pure-Python block function; where it is the default already, the default's tests cover it."""

    sha512 = PURE.sha512
    native = False

    def setUp(self):
        if not DEFAULT.native:
            self.skipTest("the module as imported is the pure one here")


class Fips180Cases:
    def test_empty(self):
        self.assertEqual(
            self.sha512().digest(),
            unhex("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        )

    def test_abc(self):
        self.assertEqual(
            self.sha512(b"abc").digest(),
            unhex("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        )

    def test_two_block_message(self):
        message = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        self.assertEqual(
            self.sha512(message).digest(),
            unhex("8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
        )

    def test_a_million_a(self):
        if not self.native:
            self.skipTest("7813 blocks: too slow in pure Python")
        h = self.sha512()
        chunk = b"a" * 1000
        for _ in range(1000):
            h.update(chunk)
        self.assertEqual(
            h.digest(),
            unhex("e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
        )

    def test_lengths_around_padding_boundaries(self):
        for n in sorted(PATTERN_DIGESTS):
            self.assertEqual(self.sha512(PATTERN[:n]).digest(), unhex(PATTERN_DIGESTS[n]), "length %d" % n)

    def test_attributes_and_types(self):
        h = self.sha512(b"abc")
        self.assertEqual(h.digest_size, 64)
        self.assertEqual(h.block_size, 128)
        self.assertEqual(type(h.digest()), bytes)
        self.assertEqual(len(h.digest()), 64)

    def test_accepts_bytearray_and_memoryview(self):
        expected = unhex(PATTERN_DIGESTS[1000])
        self.assertEqual(self.sha512(bytearray(PATTERN)).digest(), expected)
        self.assertEqual(self.sha512(memoryview(PATTERN)).digest(), expected)


class StreamingCases:
    def test_chunked_updates_at_odd_boundaries(self):
        expected = unhex(PATTERN_DIGESTS[1000])
        for size in (1, 111, 112, 127, 128, 129):
            h = self.sha512()
            for pos in range(0, len(PATTERN), size):
                h.update(PATTERN[pos:pos + size])
            self.assertEqual(h.digest(), expected, "chunk size %d" % size)

    def test_update_split_at_every_offset(self):
        for n in (129, 240):
            message = PATTERN[:n]
            expected = unhex(PATTERN_DIGESTS[n])
            for i in range(n + 1):
                h = self.sha512(message[:i])
                h.update(b"")
                h.update(message[i:])
                self.assertEqual(h.digest(), expected, "length %d split at %d" % (n, i))

    def test_mixed_chunk_sizes(self):
        h = self.sha512()
        pos = 0
        sizes = (0, 1, 111, 16, 127, 129, 128, 112, 3, 250)
        for size in sizes:
            h.update(PATTERN[pos:pos + size])
            pos += size
        h.update(PATTERN[pos:])
        self.assertEqual(h.digest(), unhex(PATTERN_DIGESTS[1000]))

    def test_digest_does_not_finalise(self):
        h = self.sha512(PATTERN[:111])
        self.assertEqual(h.digest(), unhex(PATTERN_DIGESTS[111]))
        self.assertEqual(h.digest(), unhex(PATTERN_DIGESTS[111]))
        h.update(PATTERN[111:129])
        self.assertEqual(h.digest(), unhex(PATTERN_DIGESTS[129]))

    def test_copy_is_independent(self):
        prefix = self.sha512(PATTERN[:112])
        first = prefix.copy()
        second = prefix.copy()
        first.update(PATTERN[112:240])
        second.update(PATTERN[112:129])
        self.assertEqual(first.digest(), unhex(PATTERN_DIGESTS[240]))
        self.assertEqual(second.digest(), unhex(PATTERN_DIGESTS[129]))
        self.assertEqual(prefix.digest(), unhex(PATTERN_DIGESTS[112]))
        prefix.update(PATTERN[112:113])
        self.assertEqual(prefix.digest(), unhex(PATTERN_DIGESTS[113]))
        self.assertEqual(first.digest(), unhex(PATTERN_DIGESTS[240]))

    def test_copy_of_partial_buffer_then_digest(self):
        h = self.sha512(PATTERN[:127])
        c = h.copy()
        self.assertEqual(c.digest(), unhex(PATTERN_DIGESTS[127]))
        c.update(PATTERN[127:1000])
        self.assertEqual(c.digest(), unhex(PATTERN_DIGESTS[1000]))
        self.assertEqual(h.digest(), unhex(PATTERN_DIGESTS[127]))

    def test_blocks_allocate_almost_nothing(self):
        if not hasattr(gc, "mem_alloc"):
            self.skipTest("no gc.mem_alloc (CPython)")
        h = self.sha512()
        h.update(PATTERN[:128])
        data = PATTERN[:1024]
        gc.collect()
        gc.disable()
        try:
            before = gc.mem_alloc()
            h.update(data)
            allocated = gc.mem_alloc() - before
        finally:
            gc.enable()
        # 8 blocks; the old version allocated about 117 KB per block on a 32-bit port.
        self.assertTrue(allocated < 256, "%d bytes for 8 blocks" % allocated)


class Fips180Test(DefaultVariant, Fips180Cases, unittest.TestCase):
    pass


class StreamingTest(DefaultVariant, StreamingCases, unittest.TestCase):
    pass


class PureFips180Test(PureVariant, Fips180Cases, unittest.TestCase):
    pass


class PureStreamingTest(PureVariant, StreamingCases, unittest.TestCase):
    pass


class _BrokenViper:
    """Stands in for wifiprov.sha512_viper with a block function that computes nothing."""

    @staticmethod
    def compress(state, k, data, blocks):
        pass


class VariantTest(unittest.TestCase):
    def test_the_viper_variant_is_used_where_the_port_compiles_viper_code(self):
        self.assertEqual(DEFAULT.native, _port_compiles_viper())
        self.assertFalse(PURE.native)

    def test_a_viper_variant_that_hashes_wrong_is_not_used(self):
        module = _load_with(_BrokenViper)
        self.assertFalse(module.native)
        self.assertEqual(module.sha512(PATTERN[:240]).digest(), unhex(PATTERN_DIGESTS[240]))

    def test_variants_agree_on_random_messages_and_splits(self):
        if not DEFAULT.native:
            self.skipTest("no viper variant on this port")
        random.seed(512)
        for _ in range(40):
            n = random.getrandbits(10) % 700
            message = bytes(random.getrandbits(8) for _ in range(n))
            ours = DEFAULT.sha512()
            pure = PURE.sha512()
            pos = 0
            while pos < n:
                step = random.getrandbits(8)
                ours.update(message[pos:pos + step])
                pure.update(message[pos:pos + step])
                pos += step
            self.assertEqual(ours.digest(), pure.digest(), "length %d" % n)

    def test_variants_agree_from_random_states(self):
        if not DEFAULT.native:
            self.skipTest("no viper variant on this port")
        random.seed(1024)
        for blocks in (1, 2, 3, 1, 2, 3):
            start = PURE.sha512()._state
            for i in range(64, 96):
                start[i] = random.getrandbits(16)
            data = bytes(random.getrandbits(8) for _ in range(128 * blocks))
            ours = DEFAULT.sha512()._state
            pure = PURE.sha512()._state
            ours[:] = start
            pure[:] = start
            DEFAULT._compress(ours, DEFAULT._K, data, blocks)
            PURE._compress(pure, PURE._K, data, blocks)
            self.assertEqual(list(ours[64:]), list(pure[64:]), "%d blocks" % blocks)


class Sec2HashTest(unittest.TestCase):
    """The SHA-512 values of every successful sec2 handshake (PROTOCOL.md §7.2)."""

    def setUp(self):
        self.vectors = load_vectors("sec2.json")
        group = self.vectors["group"]
        self.n_bytes = unhex(group["N_hex"])
        self.pad_g = int(group["g"]).to_bytes(384, "big")

    def test_k(self):
        expected = int_bytes(self.vectors["group"]["k_hex"], 64)
        self.assertEqual(sha512(self.n_bytes + self.pad_g).digest(), expected)

    def test_u(self):
        for case in self.vectors["cases"]:
            h = sha512(int_bytes(case["A_hex"], 384))
            h.update(int_bytes(case["B_hex"], 384))
            self.assertEqual(h.digest(), int_bytes(case["u_hex"], 64), case["name"])

    def test_session_key_hashes_minimal_s(self):
        for case in self.vectors["cases"]:
            s = unhex(case["S_hex"])
            self.assertEqual(len(s), case["S_length_hashed"], case["name"])
            k = sha512(s).digest()
            self.assertEqual(k, unhex(case["K_hex"]), case["name"])
            self.assertEqual(k[:32], unhex(case["aes_gcm_key_hex"]), case["name"])

    def test_client_proof_and_device_proof(self):
        hn = sha512(self.n_bytes).digest()
        hg = sha512(self.pad_g).digest()
        prefix = bytes(x ^ y for x, y in zip(hn, hg))
        for case in self.vectors["cases"]:
            a = unhex(case["A_hex"])
            self.assertEqual(len(a), case["A_length_as_sent"], case["name"])
            b = unhex(case["B_hex"])
            self.assertEqual(len(b), case["B_length_as_sent"], case["name"])
            k = unhex(case["K_hex"])
            h = sha512(prefix)
            h.update(sha512(unhex(case["username_bytes_hex"])).digest())
            h.update(unhex(case["salt_hex"]))
            h.update(a)
            h.update(b)
            h.update(k)
            m = h.digest()
            self.assertEqual(m, unhex(case["M_hex"]), case["name"])
            self.assertEqual(sha512(a + m + k).digest(), unhex(case["H_AMK_hex"]), case["name"])
