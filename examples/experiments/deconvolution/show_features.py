#!/usr/bin/python3
"""Scores and draws the features W recovered by a sampler on the deconvolution model.

Reads a samples file of `dgm sample` on a model written by make_model.py (one row per sample,
one column per variable in declaration order: W's 5·6·6 = 180 variables come first) and the
true features (features.npy, written next to the model).

Score (the paper judges recovery by eye, Lázaro-Gredilla et al. 2021 §5.6 and Fig. 6; this
makes it a number): the posterior is symmetric under permuting the features, and a 5 × 5 true
feature can sit at any of the 2 × 2 offsets inside a 6 × 6 model feature, so for each sample
we take the assignment of the 4 true features to 4 distinct model features (all 5·4·3·2 = 120
of them) and the offsets that minimise the total number of wrong pixels. A true feature
counts as recovered when its model feature has at most k wrong pixels over the whole 6 × 6
window (the true one padded with zeros): k = 0 is an exact recovery.

    /usr/bin/python3 show_features.py SAMPLES.npy --features build/deconv/features.npy \
        --png build/deconv/pmp.png --k 0

Prints one line per sample (the wrong pixels of each true feature under the best match) and
a summary: the fraction of true features recovered with ≤ k wrong pixels, over all samples,
and how many samples recover all 4.
"""
import argparse
import itertools
import sys

import numpy as np

FEATURES, SIZE = 5, 6  # the model's W: make_model.py


def placements(true_feature):
    """The true feature padded into a SIZE × SIZE window at every offset that fits it."""
    h, w = true_feature.shape
    out = []
    for di in range(SIZE - h + 1):
        for dj in range(SIZE - w + 1):
            p = np.zeros((SIZE, SIZE), dtype=np.int32)
            p[di:di + h, dj:dj + w] = true_feature
            out.append(p)
    return out


def best_match(w, true):
    """(errors per true feature, model feature per true feature) of the best assignment."""
    # cost[t, f]: fewest wrong pixels of model feature f against true feature t at any offset.
    cost = np.array([[min(int(np.sum(p != w[f])) for p in placements(t)) for f in range(len(w))]
                     for t in true])
    best = None
    for perm in itertools.permutations(range(len(w)), len(true)):
        total = sum(cost[t, f] for t, f in enumerate(perm))
        if best is None or total < best[0]:
            best = (total, perm)
    perm = best[1]
    return [int(cost[t, f]) for t, f in enumerate(perm)], list(perm)


def draw(ws, true, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(ws) + 1
    fig, axes = plt.subplots(rows, FEATURES, figsize=(FEATURES * 1.1, rows * 1.15),
                             squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for f in range(FEATURES):
        ax = axes[0, f]
        if f < len(true):
            ax.imshow(placements(true[f])[0], cmap="gray_r", vmin=0, vmax=1)
        else:
            ax.axis("off")
    axes[0, 0].set_ylabel("true", fontsize=8)
    for s, w in enumerate(ws):
        errors, perm = best_match(w, true)
        # Show the matched model features in the order of the true ones, the unmatched last.
        order = perm + [f for f in range(FEATURES) if f not in perm]
        for col, f in enumerate(order):
            axes[s + 1, col].imshow(w[f], cmap="gray_r", vmin=0, vmax=1)
            if col < len(errors):
                axes[s + 1, col].set_title(f"{errors[col]} wrong", fontsize=6, pad=1)
        axes[s + 1, 0].set_ylabel(f"sample {s}", fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("samples", help="samples .npy of dgm sample (rows: samples)")
    ap.add_argument("--features", required=True, help="true features .npy of make_model.py")
    ap.add_argument("--png", help="figure to write")
    ap.add_argument("--k", type=int, default=0, help="wrong pixels allowed (default 0: exact)")
    ap.add_argument("--last", type=int, default=0,
                    help="score only the last LAST rows (e.g. the chains' final states)")
    ap.add_argument("--title", default="", help="figure title")
    args = ap.parse_args()

    samples = np.load(args.samples)
    if samples.ndim != 2 or samples.shape[1] < FEATURES * SIZE * SIZE:
        sys.exit(f"{args.samples}: expected [samples, variables], got {samples.shape}")
    if args.last:
        samples = samples[-args.last:]
    true = np.load(args.features).astype(np.int32)
    ws = samples[:, :FEATURES * SIZE * SIZE].reshape(-1, FEATURES, SIZE, SIZE).astype(np.int32)

    recovered, complete, all_errors = 0, 0, []
    for s, w in enumerate(ws):
        errors, perm = best_match(w, true)
        all_errors.append(errors)
        ok = sum(e <= args.k for e in errors)
        recovered += ok
        complete += ok == len(true)
        print(f"sample {s}: wrong pixels per true feature {errors} (model features {perm}), "
              f"W pixels on {int(w.sum())}, recovered {ok}/{len(true)}")
    n = len(ws)
    print(f"summary: {n} samples; true features recovered with <= {args.k} wrong pixels: "
          f"{recovered}/{n * len(true)} = {recovered / (n * len(true)):.3f}; samples with all "
          f"{len(true)}: {complete}/{n}; mean wrong pixels per true feature "
          f"{np.mean(all_errors):.2f}")
    if args.png:
        draw(ws, true, args.png, args.title or args.samples)
        print(f"wrote {args.png}")


if __name__ == "__main__":
    main()
