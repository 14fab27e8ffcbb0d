"""SHA-512's block function as MicroPython viper code; wifiprov.sha512 uses it where the port has a native emitter."""

import micropython


@micropython.viper
def compress(state: ptr16, k: ptr16, data: ptr8, blocks: int):
    """Absorb ``blocks`` 128-byte blocks from ``data`` into ``state``, laid out as in wifiprov.sha512."""
    # Words are (high, low) pairs of 32-bit uints. uint has 32 bits on the boards and 64 on
    # x86-64, so a value that may have bits above 31 (after << or +) is masked before a right
    # shift or a carry can see them. Sums carry between 16-bit halves: no unsigned compares.
    # The loops are "while True" with the exit test at the top: the Xtensa emitter of v1.22
    # and v1.23 silently miscompiles a conditional branch back over more than 2 KB of code.
    m = uint(0xFFFF) << 16 | uint(0xFFFF)
    w = ptr32(state)  # the 64 scratch limbs: the last 16 schedule words, (high, low) each
    p = 0
    while True:
        if blocks == 0:
            break
        blocks -= 1
        ah = uint(state[64]) << 16 | uint(state[65])
        al = uint(state[66]) << 16 | uint(state[67])
        bh = uint(state[68]) << 16 | uint(state[69])
        bl = uint(state[70]) << 16 | uint(state[71])
        ch = uint(state[72]) << 16 | uint(state[73])
        cl = uint(state[74]) << 16 | uint(state[75])
        dh = uint(state[76]) << 16 | uint(state[77])
        dl = uint(state[78]) << 16 | uint(state[79])
        eh = uint(state[80]) << 16 | uint(state[81])
        el = uint(state[82]) << 16 | uint(state[83])
        fh = uint(state[84]) << 16 | uint(state[85])
        fl = uint(state[86]) << 16 | uint(state[87])
        gh = uint(state[88]) << 16 | uint(state[89])
        gl = uint(state[90]) << 16 | uint(state[91])
        hh = uint(state[92]) << 16 | uint(state[93])
        hl = uint(state[94]) << 16 | uint(state[95])
        t = 0
        while True:
            if t == 80:
                break
            j = (t & 15) << 1
            if t < 16:
                wh = uint(data[p]) << 24 | uint(data[p + 1]) << 16 | uint(data[p + 2]) << 8 | uint(data[p + 3])
                wl = uint(data[p + 4]) << 24 | uint(data[p + 5]) << 16 | uint(data[p + 6]) << 8 | uint(data[p + 7])
                p += 8
            else:
                # W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16]
                i = (j + 28) & 31
                xh = uint(w[i])
                xl = uint(w[i + 1])
                sh = ((xh >> 19 | xl << 13) ^ (xl >> 29 | xh << 3) ^ xh >> 6) & m
                sl = ((xl >> 19 | xh << 13) ^ (xh >> 29 | xl << 3) ^ (xl >> 6 | xh << 26)) & m
                i = (j + 2) & 31
                xh = uint(w[i])
                xl = uint(w[i + 1])
                uh = ((xh >> 1 | xl << 31) ^ (xh >> 8 | xl << 24) ^ xh >> 7) & m
                ul = ((xl >> 1 | xh << 31) ^ (xl >> 8 | xh << 24) ^ (xl >> 7 | xh << 25)) & m
                i = (j + 18) & 31
                xh = uint(w[i])
                xl = uint(w[i + 1])
                vh = uint(w[j])
                vl = uint(w[j + 1])
                lo = (sl & 0xFFFF) + (ul & 0xFFFF) + (xl & 0xFFFF) + (vl & 0xFFFF)
                hi = (sl >> 16) + (ul >> 16) + (xl >> 16) + (vl >> 16) + (lo >> 16)
                wl = (hi << 16 | lo & 0xFFFF) & m
                wh = (sh + uh + xh + vh + (hi >> 16)) & m
            w[j] = wh
            w[j + 1] = wl
            # T1 = h + Sigma1(e) + Ch(e, f, g) + K[t] + W[t]; K[t] comes as four 16-bit limbs
            sh = ((eh >> 14 | el << 18) ^ (eh >> 18 | el << 14) ^ (el >> 9 | eh << 23)) & m
            sl = ((el >> 14 | eh << 18) ^ (el >> 18 | eh << 14) ^ (eh >> 9 | el << 23)) & m
            uh = gh ^ (eh & (fh ^ gh))
            ul = gl ^ (el & (fl ^ gl))
            i = t << 2
            lo = (hl & 0xFFFF) + (sl & 0xFFFF) + (ul & 0xFFFF) + (wl & 0xFFFF) + uint(k[i + 3])
            hi = (hl >> 16) + (sl >> 16) + (ul >> 16) + (wl >> 16) + uint(k[i + 2]) + (lo >> 16)
            xl = (hi << 16 | lo & 0xFFFF) & m
            xh = hh + sh + uh + wh + (uint(k[i]) << 16 | uint(k[i + 1])) + (hi >> 16)
            hh = gh
            hl = gl
            gh = fh
            gl = fl
            fh = eh
            fl = el
            # e = d + T1
            lo = (dl & 0xFFFF) + (xl & 0xFFFF)
            hi = (dl >> 16) + (xl >> 16) + (lo >> 16)
            el = (hi << 16 | lo & 0xFFFF) & m
            eh = (dh + xh + (hi >> 16)) & m
            # a = T1 + Sigma0(a) + Maj(a, b, c)
            sh = ((ah >> 28 | al << 4) ^ (al >> 2 | ah << 30) ^ (al >> 7 | ah << 25)) & m
            sl = ((al >> 28 | ah << 4) ^ (ah >> 2 | al << 30) ^ (ah >> 7 | al << 25)) & m
            uh = bh ^ ((ah ^ bh) & (bh ^ ch))
            ul = bl ^ ((al ^ bl) & (bl ^ cl))
            lo = (xl & 0xFFFF) + (sl & 0xFFFF) + (ul & 0xFFFF)
            hi = (xl >> 16) + (sl >> 16) + (ul >> 16) + (lo >> 16)
            dh = ch
            dl = cl
            ch = bh
            cl = bl
            bh = ah
            bl = al
            al = (hi << 16 | lo & 0xFFFF) & m
            ah = (xh + sh + uh + (hi >> 16)) & m
            t += 1
        # H += a..h: the words go to the free scratch and are added limb by limb.
        w[0] = ah
        w[1] = al
        w[2] = bh
        w[3] = bl
        w[4] = ch
        w[5] = cl
        w[6] = dh
        w[7] = dl
        w[8] = eh
        w[9] = el
        w[10] = fh
        w[11] = fl
        w[12] = gh
        w[13] = gl
        w[14] = hh
        w[15] = hl
        for i in range(0, 16, 2):
            xh = uint(w[i])
            xl = uint(w[i + 1])
            j = 64 + (i << 1)
            lo = uint(state[j + 3]) + (xl & 0xFFFF)
            state[j + 3] = lo
            lo = uint(state[j + 2]) + (xl >> 16) + (lo >> 16)
            state[j + 2] = lo
            lo = uint(state[j + 1]) + (xh & 0xFFFF) + (lo >> 16)
            state[j + 1] = lo
            state[j] = uint(state[j]) + (xh >> 16) + (lo >> 16)
