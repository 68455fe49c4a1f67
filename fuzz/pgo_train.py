#!/usr/bin/env python3
"""pgo_train.py - the profile of fuzz_scenario's LTO engine (-Dfuzz_pgo).

    pgo_train.py TRAIN_EXE SEEDS_DIR OUT_H USE_DIR...
    pgo_train.py --check OUT_H TRAIN_EXE SEEDS_DIR USE_DIR...

TRAIN_EXE is fuzz_scenario with its engine and harness compiled with
-fprofile-generate and -dumpdir USE_DIR/ (fuzz/meson.build): so each object
writes its counts (a .gcda, at exit) where gcc's -fprofile-use looks for the
counts of the object of the same source in the real target (libnmrsim-lto,
fuzz_scenario), and names its static functions the same way (gcc's profile
id of a static function includes that name). It runs once over SEEDS_DIR
(fuzz_scenario's seeds). OUT_H is a header of one comment, the SHA-256 of
the counts: the objects compiled with them include it (-include), so ninja
compiles them again when the counts change (it does not see .gcda files).

Deterministic: the engine is (same seeds, same counts), the run is one
single-threaded process, and the counts start from zero (the files of an
earlier run are removed first: libgcov would add to them). One kind of
counter holds addresses: the bitwise OR of the pointers a memcpy or memset
was given (gcc reads the alignment they had in common from its lowest set
bit), whose bits above the lowest four move with address-space layout
randomisation; each is rewritten to those four bits, or to 16 when they are
zero (the alignment every run had), so the same seeds give the same bytes.
--check trains again and compares the hash with the one OUT_H holds (test
pgo-deterministic): exit 1 when they differ. Exit 2 with a message on
failure.
"""
import hashlib
import os
import struct
import subprocess
import sys

GCOV_TAG_IOR = 0x01AD0000  # gcc/gcov-io.h: GCOV_TAG_FOR_COUNTER(GCOV_COUNTER_IOR)


def die(msg):
    sys.stderr.write("pgo_train: %s\n" % msg)
    sys.exit(2)


def gcda(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".gcda")) if os.path.isdir(d) else []


def ior_stable(data):
    """The .gcda bytes DATA with each IOR counter reduced to its low bits."""
    out = bytearray(data)
    off = 16  # magic, version, stamp, checksum
    while off + 8 <= len(out):
        tag, length = struct.unpack_from("<Ii", out, off)
        off += 8
        if length <= 0:  # zero counts (negative length: all zero, no data)
            continue
        if tag == GCOV_TAG_IOR:
            for p in range(off, off + length, 8):
                lo, hi = struct.unpack_from("<II", out, p)
                v = (lo | hi << 32) & 0xF
                if lo | hi:
                    struct.pack_into("<II", out, p, v if v else 0x10, 0)
        off += length
    if bytes(out[off:]) != b"\0\0\0\0":  # the end: a zero tag
        die("unexpected .gcda layout (gcc version?)")
    return bytes(out)


def main():
    argv = sys.argv[1:]
    check = argv[:1] == ["--check"]
    if check:
        argv = argv[2:3] + argv[3:4] + argv[1:2] + argv[4:]
    if len(argv) < 4:
        die("usage: pgo_train.py [--check OUT_H] TRAIN_EXE SEEDS_DIR [OUT_H] USE_DIR...")
    exe, seeds, out_h = (os.path.abspath(a) for a in argv[:3])
    dirs = [os.path.abspath(d) for d in argv[3:]]
    for d in dirs:
        for f in gcda(d):
            os.unlink(os.path.join(d, f))
    env = dict(os.environ, NMRSIM_FUZZ_NO_ABORT="1")
    r = subprocess.run([exe, seeds], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):
        die("%s %s exited %d\n%s" % (exe, seeds, r.returncode, r.stderr[-2000:]))
    h = hashlib.sha256()
    n = 0
    for d in dirs:
        counts = gcda(d)
        if not counts:
            die("%s wrote no counts in %s (compiled with -fprofile-generate -dumpdir %s/?)" % (exe, d, d))
        for f in counts:
            with open(os.path.join(d, f), "rb") as g:
                data = ior_stable(g.read())
            with open(os.path.join(d, f), "wb") as g:
                g.write(data)
            h.update(f.encode() + b"\0" + data)
        n += len(counts)
    text = "/* fuzz/pgo_train.py: %d profiles, sha256 %s */\n" % (n, h.hexdigest())
    if check:
        with open(out_h) as o:
            built = o.read()
        if built != text:
            sys.stderr.write("pgo_train: the counts differ from the build's:\n  %s  %s" % (built, text))
            sys.exit(1)
        print("pgo_train: %d profiles, the same counts as the build's" % n)
        return
    with open(out_h, "w") as o:
        o.write(text)


if __name__ == "__main__":
    main()
