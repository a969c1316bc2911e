#!/usr/bin/python3
"""Writes the 2-D binary deconvolution model of Zhou et al. (2022) §5.6 as a dgm model file.

What
    The experiment of "Perturb-and-max-product: sampling and learning in discrete energy-based
    models" (Lázaro-Gredilla, Dedieu, George; NeurIPS 2021), §5.6, also PGMax's example
    `pmp_binary_deconvolution` (Zhou et al. 2022). Binary images X[n, r, c] (14 × 14) are an OR
    of binary features W[f] (5 × 5 in the data, 6 × 6 in the model) placed at the locations
    where S[n, f, i, j] = 1:

        X[n, r, c] = OR over (f, i, j, a, b) with i + a = r, j + b = c of S[n, f, i, j] AND W[f, a, b]

    The posterior p(W, S | X) is what the samplers explore; a good sample has W equal to the 4
    true features (in some order, possibly shifted inside the 6 × 6 window) plus one unused or
    spurious fifth feature.

Model (all variables binary, states {0, 1})
    W  [5, 6, 6]            features; prior P(W = 1) = p_W = 0.25  (unary log-odds logit(p_W))
    S  [N, 5, 9, 9]         locations; prior P(S = 1) = p_S = 0.01 (unary log-odds logit(p_S))
                            (--p-s: PGMax's example uses 1e-72, and run.sh with it; README.md)
    Z  [N, 5, 9, 9, 6, 6]   Z[n,f,i,j,a,b] = S[n,f,i,j] AND W[f,a,b]   (logical_and, hard)
    X  [N, 14, 14]          X[n,r,c] = OR of the Z that cover pixel (r, c) (logical_or, hard)
    The image pixels are clamped by an `evidence` block. The paper and PGMax instead put a unary
    of log-odds ±logit(1 − p_e), p_e = 1e-100, on X: a soft constraint of 230 nats per pixel,
    numerically a clamp. dgm's evidence is the exact limit p_e → 0 and removes X from the
    samplers' state (clamped variables are never updated or perturbed), so it is the default.
    PMP runs on both forms; --soft-evidence 1e-100 gives the paper's (see README.md, "What to
    look at", for how the two compare).
    The 9 × 9 location grid is 14 − 6 + 1: the model's features are one pixel larger than the
    data's (5 features of 6 × 6 for 4 of 5 × 5), as in the paper, so that the model does not
    know the true sizes.

Data (seeded, reproducible)
    As the paper's generator (perturb_and_max_product/experiments/exp6_generate_data.py): 4
    features of 5 × 5 (a square outline, a plus, a triangle, a diamond), each placed with
    probability 0.01 at each of the 10 × 10 locations of a 14 × 14 image, superposed by OR, and
    only images with more than 2 placed features are kept. The paper draws with JAX's PRNG
    (seed 42); we draw with NumPy's PCG64 (--seed), so the images differ from the paper's but
    follow the same law.

Size
    Per image 5·9·9·6·6 = 14,580 AND factors and auxiliary Z, 196 OR factors, 405 S; 180 W in
    all. The paper's 100 images (--full) give 1,458,000 AND factors. The file spells each
    factor's scope out (`scope` strings): the model language has no generator for 3-variable
    scopes, so one AND factor costs one short string "S[s] W[w] Z[z]" (flat indices, which the
    references allow on a multi-dimensional group). Scopes of one group are written as one
    repeated-field list `scope: ["...", ...]`, which protobuf text format allows.

Outputs (next to --out): the model file, images.npy (uint8 [N, 14, 14], the observed X),
features.npy (uint8 [4, 5, 5], the true W), locations.npy (uint8 [N, 4, 10, 10], the true S)
and init.npy (one valid state, for `dgm sample --init-rows`; see valid_start).
The variable order in samples files is the declaration order: W (180), then S, Z, X.

    /usr/bin/python3 make_model.py --out build/deconv/model.pbtxt             # 4 images
    /usr/bin/python3 make_model.py --images 20 --out build/deconv/model.pbtxt
    /usr/bin/python3 make_model.py --full --out build/deconv/full.pbtxt       # 100 images
"""
import argparse
import math
import os
import sys

import numpy as np

# Data (paper §5.6): 4 true features of 5 × 5 on a 10 × 10 location grid -> 14 × 14 images.
TRUE_FEATURES, TRUE_SIZE, TRUE_GRID = 4, 5, 10
IMAGE = TRUE_GRID + TRUE_SIZE - 1  # 14
P_PLACE = 0.01  # probability of a feature at a location in the data
MIN_FEATURES = 3  # the paper keeps images with S.sum() > 2

# Model (paper §5.6, and exp6_convor.py): one extra feature, one pixel larger.
FEATURES, SIZE = 5, 6
GRID = IMAGE - SIZE + 1  # 9
P_W, P_S = 0.25, 0.01


def true_features():
    """The 4 features of the paper's data generator, as uint8 [4, 5, 5]."""
    w = np.zeros((TRUE_FEATURES, TRUE_SIZE, TRUE_SIZE), dtype=np.uint8)
    w[0, 0, :] = w[0, -1, :] = w[0, :, 0] = w[0, :, -1] = 1  # square outline
    w[1, 2, :] = w[1, :, 2] = 1  # plus
    w[2] = [[0, 0, 1, 0, 0],  # triangle
            [0, 1, 0, 1, 0],
            [0, 1, 0, 1, 0],
            [1, 0, 0, 0, 1],
            [1, 1, 1, 1, 1]]
    w[3] = [[0, 0, 1, 0, 0],  # diamond
            [0, 1, 0, 1, 0],
            [1, 0, 0, 0, 1],
            [0, 1, 0, 1, 0],
            [0, 0, 1, 0, 0]]
    return w


def or_convolution(s, w):
    """X[n, r, c] = OR_{f, i + a = r, j + b = c} S[n, f, i, j] AND W[f, a, b]."""
    n, f, gh, gw = s.shape
    _, h, wd = w.shape
    x = np.zeros((n, gh + h - 1, gw + wd - 1), dtype=np.uint8)
    for k in range(f):
        for a in range(h):
            for b in range(wd):
                if w[k, a, b]:
                    x[:, a:a + gh, b:b + gw] |= s[:, k]
    return x


def generate(n_images, seed):
    """n_images images with more than 2 features each; returns (X, S, W)."""
    rng = np.random.default_rng(seed)
    w = true_features()
    kept_x, kept_s = [], []
    while sum(len(x) for x in kept_x) < n_images:
        # Batches of 500 candidates, as the paper (which keeps 100 of 500).
        s = (rng.random((500, TRUE_FEATURES, TRUE_GRID, TRUE_GRID)) < P_PLACE).astype(np.uint8)
        valid = s.sum(axis=(1, 2, 3)) >= MIN_FEATURES
        kept_s.append(s[valid])
        kept_x.append(or_convolution(s[valid], w))
    return (np.concatenate(kept_x)[:n_images], np.concatenate(kept_s)[:n_images], w)


def valid_start(x):
    """A state of non-zero probability that explains X, for samplers that must start from one.

    Single-site samplers (gibbs, gwg, ...) cannot start from a state that breaks a hard factor
    (`dgm sample` refuses it), and the all-zero state breaks the OR factors of the lit pixels
    when X is clamped. This start explains every lit pixel by one-pixel features: feature 0
    is the pixel (0, 0), feature 1 (SIZE-1, SIZE-1), feature 2 (0, SIZE-1), feature 3
    (SIZE-1, 0), which between them reach every pixel of the image from the GRID × GRID
    locations; feature 4 is empty. Row order is the model's variable order: W, S, Z, X.
    """
    n = len(x)
    w = np.zeros((FEATURES, SIZE, SIZE), dtype=np.uint8)
    corners = [(0, 0), (SIZE - 1, SIZE - 1), (0, SIZE - 1), (SIZE - 1, 0)]
    for f, (a, b) in enumerate(corners):
        w[f, a, b] = 1
    s = np.zeros((n, FEATURES, GRID, GRID), dtype=np.uint8)
    for img, r, c in zip(*np.nonzero(x)):
        for f, (a, b) in enumerate(corners):
            if 0 <= r - a < GRID and 0 <= c - b < GRID:
                s[img, f, r - a, c - b] = 1
                break
    z = s[:, :, :, :, None, None] & w[None, :, None, None, :, :]
    assert np.array_equal(or_convolution(s, w), x)
    return np.concatenate([w.ravel(), s.ravel(), z.ravel(), x.ravel()])[None, :]


def logit(p):
    return math.log(p / (1.0 - p))


def write_model(path, x, seed, soft_evidence=None, p_w=P_W, p_s=P_S):
    n = len(x)
    z_per_image = FEATURES * GRID * GRID * SIZE * SIZE
    out = []
    put = out.append
    put("# 2-D binary deconvolution (Lázaro-Gredilla et al., NeurIPS 2021, §5.6; PGMax example\n"
        "# pmp_binary_deconvolution). Generated by make_model.py: do not edit.\n"
        f"# {n} images, data seed {seed}. Variable order in samples: W, S, Z, X.\n")
    put(f'description: "binary deconvolution: {n} images of {IMAGE}x{IMAGE}, {FEATURES} '
        f'features of {SIZE}x{SIZE}, OR of ANDs, X clamped"\n\n')
    # W first so that its 180 variables are the first columns of a samples file.
    put(f'variables {{ name: "W" shape: [{FEATURES}, {SIZE}, {SIZE}] cardinality: 2 }}\n')
    put(f'variables {{ name: "S" shape: [{n}, {FEATURES}, {GRID}, {GRID}] cardinality: 2 }}\n')
    put(f'variables {{ name: "Z" shape: [{n}, {FEATURES}, {GRID}, {GRID}, {SIZE}, {SIZE}] '
        'cardinality: 2 }\n')
    put(f'variables {{ name: "X" shape: [{n}, {IMAGE}, {IMAGE}] cardinality: 2 }}\n\n')
    # Priors: θ(x) = b·x with b = logit(p), so P(x = 1) = p for an isolated variable.
    put(f'parameters {{ name: "logit_pW" value: {logit(p_w)!r} }}  # logit({p_w!r})\n')
    put(f'parameters {{ name: "logit_pS" value: {logit(p_s)!r} }}  # logit({p_s!r})\n\n')
    put('factors { name: "prior_W" unary { log_odds: "logit_pW" } each: "W" }\n')
    put('factors { name: "prior_S" unary { log_odds: "logit_pS" } each: "S" }\n\n')

    # AND factors, scope "parent parent child" = "S W Z". Z's flat index runs over
    # (n, f, i, j, a, b) row-major, so Z // 36 is S's flat index and f·36 + (a·6 + b) is W's.
    put('# Z[n,f,i,j,a,b] = S[n,f,i,j] AND W[f,a,b] (flat indices)\n')
    put('factors {\n  name: "and"\n  logical_and {}\n  scope: [\n')
    z = np.arange(n * z_per_image)
    s_idx = z // (SIZE * SIZE)
    f_idx = (z // (GRID * GRID * SIZE * SIZE)) % FEATURES
    w_idx = f_idx * SIZE * SIZE + z % (SIZE * SIZE)
    put(",\n".join(f'"S[{s}] W[{w}] Z[{k}]"' for s, w, k in zip(s_idx.tolist(), w_idx.tolist(),
                                                               z.tolist())))
    put("\n  ]\n}\n\n")

    # OR factors, one per pixel: parents the Z with i + a = r and j + b = c, child X[n, r, c].
    put('# X[n,r,c] = OR of the Z[n,f,i,j,a,b] with i + a = r, j + b = c (flat indices)\n')
    put('factors {\n  name: "or"\n  logical_or {}\n  scope: [\n')
    zs = np.arange(z_per_image).reshape(FEATURES, GRID, GRID, SIZE, SIZE)
    covers = [[[] for _ in range(IMAGE)] for _ in range(IMAGE)]
    for a in range(SIZE):
        for b in range(SIZE):
            for i in range(GRID):
                for j in range(GRID):
                    covers[i + a][j + b].extend(zs[:, i, j, a, b].tolist())
    lines = []
    for img in range(n):
        base = img * z_per_image
        for r in range(IMAGE):
            for c in range(IMAGE):
                parents = " ".join(f"Z[{base + k}]" for k in sorted(covers[r][c]))
                lines.append(f'"{parents} X[{(img * IMAGE + r) * IMAGE + c}]"')
    put(",\n".join(lines))
    put("\n  ]\n}\n\n")

    if soft_evidence is None:
        # The observed images, clamped (exact; see the module comment on p_e).
        put('evidence {\n  variable: "X"\n  values: [\n')
        put(",\n".join(", ".join(str(v) for v in row) for row in x.reshape(-1, IMAGE).tolist()))
        put("\n  ]\n}\n")
    else:
        # The paper's and PGMax's soft observation: log-odds ±log((1 − p_e)/p_e) on X, one
        # value per pixel (a per-factor parameter of the `each` group, in X's row-major order).
        b = math.log1p(-soft_evidence) - math.log(soft_evidence)
        put(f'# Observation noise p_e = {soft_evidence!r}: log-odds ±{b!r} per pixel.\n')
        put(f'parameters {{\n  name: "observed_X"\n  shape: [{n}, {IMAGE}, {IMAGE}]\n  value: [\n')
        put(",\n".join(", ".join(repr(b if v else -b) for v in row)
                        for row in x.reshape(-1, IMAGE).tolist()))
        put('\n  ]\n}\n')
        put('factors { name: "observation" unary { log_odds: "observed_X" } each: "X" }\n')
    with open(path, "w") as fh:
        fh.write("".join(out))
    return n * z_per_image, n * IMAGE * IMAGE


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=4, help="number of images (default 4)")
    ap.add_argument("--full", action="store_true", help="the paper's 100 images")
    ap.add_argument("--seed", type=int, default=42, help="seed of the data (default 42)")
    ap.add_argument("--out", required=True, help="model file to write (.pbtxt)")
    ap.add_argument("--soft-evidence", type=float, metavar="PE",
                    help="observe X through a unary of log-odds ±log((1 − PE)/PE), as the paper "
                         "and PGMax (PE = 1e-100), instead of clamping it (default)")
    ap.add_argument("--p-s", type=float, default=P_S, metavar="P",
                    help=f"the model's prior P(S = 1) (default {P_S}, the paper's; PGMax's example "
                         "uses 1e-72, a strong preference for few placements)")
    ap.add_argument("--p-w", type=float, default=P_W, metavar="P",
                    help=f"the model's prior P(W = 1) (default {P_W})")
    args = ap.parse_args()
    for name, p in (("--p-s", args.p_s), ("--p-w", args.p_w)):
        if not 0.0 < p < 1.0:
            sys.exit(f"{name} must be in (0, 1) (got {p!r})")
    n = 100 if args.full else args.images
    if n < 1:
        sys.exit("--images must be ≥ 1")
    x, s, w = generate(n, args.seed)
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "images.npy"), x)
    np.save(os.path.join(folder, "features.npy"), w)
    np.save(os.path.join(folder, "locations.npy"), s)
    np.save(os.path.join(folder, "init.npy"), valid_start(x))
    n_and, n_or = write_model(args.out, x, args.seed, args.soft_evidence, args.p_w, args.p_s)
    print(f"{args.out}: {n} images, {FEATURES * SIZE * SIZE} W + {n * FEATURES * GRID * GRID} S "
          f"+ {n_and} Z + {n * IMAGE * IMAGE} X variables; {n_and} AND + {n_or} OR + "
          f"{FEATURES * SIZE * SIZE + n * FEATURES * GRID * GRID} unary factors; "
          f"{os.path.getsize(args.out) / 1e6:.1f} MB; true features placed: "
          f"{int(s.sum())} ({s.sum(axis=(1, 2, 3)).tolist()[:10]}{' ...' if n > 10 else ''})")


if __name__ == "__main__":
    main()
