#!/usr/bin/env python3
"""Regenerates rbm_W.npy, the weights of rbm_mnist_random.pbtxt.

A 784 x 500 float32 matrix (C order, little-endian) of independent N(0, 0.01^2) values, the
usual initialisation of an RBM before training (Hinton, "A Practical Guide to Training
Restricted Boltzmann Machines", 2010, section 8).

Standard library only, with its own generator (SplitMix64 + Box-Muller) so that the file does
not depend on a NumPy version: the same seed gives the same file.

    python3 examples/make_rbm_weights.py            # writes examples/rbm_W.npy
    python3 examples/make_rbm_weights.py OUT.npy --seed 1 --stddev 0.05
"""
import argparse
import math
import os
import struct
import sys
from array import array

VISIBLE, HIDDEN = 784, 500
MASK = (1 << 64) - 1


def splitmix64(state):
    """Returns (new_state, 64 random bits)."""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def normals(count, seed):
    """`count` standard normal values by Box-Muller on uniforms in (0, 1]."""
    out = []
    state = seed
    while len(out) < count:
        state, a = splitmix64(state)
        state, b = splitmix64(state)
        u1 = ((a >> 11) + 1) * 2.0**-53  # (0, 1]: log(u1) is finite
        u2 = (b >> 11) * 2.0**-53
        r = math.sqrt(-2.0 * math.log(u1))
        out.append(r * math.cos(2.0 * math.pi * u2))
        out.append(r * math.sin(2.0 * math.pi * u2))
    return out[:count]


def write_npy(path, values, shape):
    """Writes a float32 C-order array in NPY format version 1.0."""
    data = array("f", values)
    if sys.byteorder == "big":
        data.byteswap()
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % ", ".join(
        str(d) for d in shape)
    # Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of
    # 64 bytes and ended by a newline.
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * (pad % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00")
        f.write(struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(data.tobytes())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=os.path.join(here, "rbm_W.npy"))
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--stddev", type=float, default=0.01)
    args = parser.parse_args()
    values = [args.stddev * z for z in normals(VISIBLE * HIDDEN, args.seed)]
    write_npy(args.out, values, (VISIBLE, HIDDEN))
    print("wrote %s: shape (%d, %d) float32, N(0, %g^2), seed %d"
          % (args.out, VISIBLE, HIDDEN, args.stddev, args.seed))


if __name__ == "__main__":
    main()
