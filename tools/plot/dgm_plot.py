#!/usr/bin/python3
"""Plots for dgm: learning curves from JSON-lines training logs and grids of images.

  dgm_plot.py curves --out curves.png train.jsonl [more.jsonl ...] [--x epoch|seconds|updates]
                     [--y FIELD ...] [--logy] [--labels a,b]
  dgm_plot.py grid --out samples.png samples.npy [--shape H,W] [--offset K] [--rows R]
                   [--cols C] [--title T]
  dgm_plot.py compare --out-dir DIR compare.json

Needs matplotlib and numpy: on Debian, python3-matplotlib and python3-numpy (tools/quickstart.sh
installs them) used by /usr/bin/python3. `dgm plot ...` runs this script with that interpreter.
Figures have fixed pixel sizes (documented per command) so that they compare across runs.
Exit status: 0 done, 1 bad input (the message says which file and what), 2 bad usage,
3 matplotlib or numpy missing.
"""
import argparse
import json
import math
import os
import sys

MISSING = (
    "is not available to {python}: install Debian's python3-matplotlib and python3-numpy "
    "(apt-get install python3-matplotlib python3-numpy; tools/quickstart.sh does) and run the "
    "script with /usr/bin/python3 (or set DGM_PYTHON for `dgm plot`)\n")
MISSING_STATUS = 3  # `dgm plot` turns this status into its own message

try:
    import numpy as np
except ImportError as e:
    sys.stderr.write(f"dgm_plot.py: error: {e.name or e} " + MISSING.format(python=sys.executable))
    sys.exit(MISSING_STATUS)


def pyplot():
    """matplotlib.pyplot, imported only to draw (it takes about a second), so that bad input
    is reported at once."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only; no display needed
        import matplotlib.pyplot as plt
    except ImportError as e:
        sys.stderr.write(f"dgm_plot.py: error: {e.name or e} " +
                         MISSING.format(python=sys.executable))
        sys.exit(MISSING_STATUS)
    return plt


DPI = 100
PANEL_PX = (500, 350)  # curves: one panel, width × height in pixels
MAX_PANEL_COLUMNS = 2
TITLE_PX = 30  # grid: the band above the images that holds --title


def inches(px):
    """Figure inches for `px` pixels at DPI. Agg truncates width × dpi to whole pixels, and
    e.g. 2.03 × 100 is 202.999…: the extra tenth of a pixel keeps the size exact."""
    return (px + 0.1) / DPI


class InputError(Exception):
    """Bad input: a missing file, a malformed log line, an array of the wrong shape."""


# ---------------------------------------------------------------- curves


def read_log(path):
    """The JSON objects of a JSON-lines log, one per non-blank line."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    records = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{number}: not a JSON object ({e.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}:{number}: not a JSON object")
            records.append(record)
    if not records:
        raise InputError(f"{path}: no log lines")
    return records


def series(records, x_field, y_field):
    """(x, y) of the records where both fields are numbers (absent or null are skipped)."""
    xs, ys = [], []
    for r in records:
        x, y = r.get(x_field), r.get(y_field)
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(y, bool):
            xs.append(x)
            ys.append(y)
    return xs, ys


def default_label(records, path):
    """method/sampler from the log (the first line that has them), else the file name."""
    for r in records:
        parts = [str(r[k]) for k in ("method", "sampler") if r.get(k)]
        if parts:
            return "/".join(parts)
    return os.path.splitext(os.path.basename(path))[0]


def proxy_name(logs):
    for _, records in logs:
        for r in records:
            if r.get("proxy_name"):
                return str(r["proxy_name"]).replace("_", " ")
    return "proxy"


def default_panels(logs, x_field):
    """The default figure: each panel whose fields some log has. A panel is (title, curves,
    log scale, reference field); a curve is (field, label suffix, line style)."""

    def present(field):
        return any(series(records, x_field, field)[0] for _, records in logs)

    panels = []
    if present("gradient_norm"):
        panels.append(("gradient norm", [("gradient_norm", "", "-")], False, None))
    proxies = [(f, suffix, style) for f, suffix, style in
               (("train_proxy", " train", "-"), ("test_proxy", " test", "--")) if present(f)]
    if proxies:
        panels.append((proxy_name(logs), proxies, False, None))
    if present("tau_int"):
        panels.append(("integrated autocorrelation time τ_int (dotted: k)",
                       [("tau_int", "", "-")], False, "k" if present("k") else None))
    if present("parameter_rmse"):
        panels.append(("parameter RMSE", [("parameter_rmse", "", "-")], True, None))
    if present("test_log_likelihood"):
        panels.append(("test log-likelihood (nats)", [("test_log_likelihood", "", "-")], False,
                       None))
    return panels


def curves(args):
    logs = [(path, read_log(path)) for path in args.logs]
    labels = args.labels.split(",") if args.labels else [default_label(r, p) for p, r in logs]
    if len(labels) != len(logs):
        raise InputError(f"--labels has {len(labels)} labels for {len(logs)} logs")
    if not any(isinstance(r.get(args.x), (int, float)) for _, records in logs for r in records):
        raise InputError(f"no log has numbers in the x field '{args.x}' "
                         "(--x epoch, seconds or updates)")
    if args.y:
        panels = [(field.replace("_", " "), [(field, "", "-")], False, None) for field in args.y]
    else:
        panels = default_panels(logs, args.x)
    panels = [p for p in panels
              if any(series(records, args.x, f)[0] for _, records in logs for f, _, _ in p[1])]
    if not panels:
        wanted = ", ".join(args.y) if args.y else (
            "gradient_norm, train_proxy, test_proxy, tau_int, parameter_rmse, test_log_likelihood")
        raise InputError(f"nothing to plot: no log has a number in any of {wanted} "
                         f"(against {args.x})")

    columns = min(MAX_PANEL_COLUMNS, len(panels))
    rows = math.ceil(len(panels) / columns)
    plt = pyplot()
    fig = plt.figure(figsize=(inches(columns * PANEL_PX[0]), inches(rows * PANEL_PX[1])), dpi=DPI)
    for i, (title, fields, log_scale, reference) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 1)
        for n, ((path, records), label) in enumerate(zip(logs, labels)):
            colour = f"C{n % 10}"  # one colour per log, across panels
            for field, suffix, style in fields:
                xs, ys = series(records, args.x, field)
                if xs:
                    ax.plot(xs, ys, style, color=colour, marker="." if len(xs) < 30 else None,
                            label=label + suffix)
            if reference:
                rx, ry = series(records, args.x, reference)
                if rx:
                    ax.step(rx, ry, ":", where="post", color=colour, label=f"{label} {reference}")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(args.x)
        if log_scale or args.logy:
            ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        if len(logs) > 1 or len(fields) > 1 or reference:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=DPI)
    print(f"{args.out}: {len(panels)} panel(s) from {len(logs)} log(s), "
          f"{columns * PANEL_PX[0]}×{rows * PANEL_PX[1]} px")


# ---------------------------------------------------------------- grid


def parse_pair(text, flag):
    try:
        a, b = (int(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"{flag} {text}: expected two integers A,B") from None
    if a < 1 or b < 1:
        raise InputError(f"{flag} {text}: both must be at least 1")
    return a, b


def load_images(args):
    if not os.path.isfile(args.samples):
        raise InputError(f"{args.samples}: no such file")
    try:
        array = np.load(args.samples, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise InputError(f"{args.samples}: not a NumPy .npy file ({e})") from None
    if array.ndim == 3:
        if args.shape or args.offset is not None:
            raise InputError(f"{args.samples}: images of shape {list(array.shape)} already have "
                             "their shape; --shape and --offset are for 2-D arrays [n, columns]")
        return array
    if array.ndim != 2:
        raise InputError(f"{args.samples}: shape {list(array.shape)}; expected [n, H, W] images "
                         "or [n, H*W] rows with --shape H,W")
    if not args.shape:
        raise InputError(f"{args.samples}: rows of {array.shape[1]} values; give the image shape "
                         "with --shape H,W")
    h, w = parse_pair(args.shape, "--shape")
    offset = args.offset if args.offset is not None else 0
    if args.offset is None and array.shape[1] != h * w:
        raise InputError(f"{args.samples}: rows of {array.shape[1]} values, --shape {h},{w} "
                         f"needs {h * w}; --offset K takes the image from columns K.."
                         f"K+{h * w - 1} (e.g. --offset 0: the visible units of an RBM's samples)")
    if offset < 0 or offset + h * w > array.shape[1]:
        raise InputError(f"{args.samples}: --offset {offset} with --shape {h},{w} needs columns "
                         f"{offset}..{offset + h * w - 1}; the rows have {array.shape[1]}")
    return array[:, offset:offset + h * w].reshape(-1, h, w)


def grid(args):
    images = load_images(args)
    n = images.shape[0]
    if n == 0:
        raise InputError(f"{args.samples}: no images")
    cols = args.cols or min(n, 10)
    rows = args.rows or math.ceil(min(n, 10 * cols) / cols)
    if cols < 1 or rows < 1:
        raise InputError("--rows and --cols must be at least 1")
    shown = min(n, rows * cols)
    h, w = images.shape[1], images.shape[2]
    cell = args.cell
    title_px = TITLE_PX if args.title else 0
    width_px, height_px = cols * cell, rows * cell + title_px
    plt = pyplot()
    fig = plt.figure(figsize=(inches(width_px), inches(height_px)), dpi=DPI)
    # Grey levels: black is 0, white the largest value (1 for binary data, 255 for bytes).
    vmax = max(1.0, float(images[:shown].max()))
    for k in range(shown):
        r, c = divmod(k, cols)
        ax = fig.add_axes([c / cols, 1 - (title_px + (r + 1) * cell) / height_px,
                           1 / cols, cell / height_px])
        ax.imshow(images[k], cmap="gray", vmin=0, vmax=vmax, interpolation="nearest",
                  aspect="auto")
        ax.set_axis_off()
    if args.title:
        fig.text(0.5, 1 - (title_px / 2) / height_px, args.title, ha="center", va="center",
                 fontsize=11)
    fig.savefig(args.out, dpi=DPI, facecolor="white")
    print(f"{args.out}: {shown} of {n} image(s) of {h}×{w} in {rows}×{cols}, "
          f"{width_px}×{height_px} px")


# ---------------------------------------------------------------- compare


def read_comparison(path):
    """The document `dgm compare --format json` (or --json FILE, --plot DIR) writes."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not a JSON document ({e})") from None
    if not isinstance(doc, dict) or doc.get("command") != "compare" or \
            not isinstance(doc.get("samplers"), list):
        raise InputError(f"{path}: not the JSON of dgm compare (no \"command\": \"compare\" "
                         "with a list of samplers)")
    for s in doc["samplers"]:
        if not isinstance(s, dict) or "label" not in s or not isinstance(s.get("points"), list):
            raise InputError(f"{path}: a sampler entry without its label and points")
    return doc


def finite(values):
    return [v for v in values if v is not None and math.isfinite(v)]


def compare(args):
    doc = read_comparison(args.comparison)
    if not os.path.isdir(args.out_dir):
        raise InputError(f"--out-dir {args.out_dir}: no such folder")
    plt = pyplot()
    written = []
    floor = (doc.get("reference") or {}).get("floor_mmd2_biased")
    samplers = doc["samplers"]

    def mmd_panel(x_key, x_label, name, work=False):
        fig, ax = plt.subplots(figsize=(inches(PANEL_PX[0] + 100), inches(PANEL_PX[1])), dpi=DPI)
        drawn = 0
        for s in samplers:
            xs, ys = [], []
            for p in s["points"]:
                x = p["work"][x_key] if work else p[x_key]
                y = p.get("mmd2_biased")
                if y is None or y <= 0 or x is None or (x <= 0 and work):
                    continue
                xs.append(x)
                ys.append(math.log(y))
            if xs:
                ax.plot(xs, ys, marker=".", label=s["label"])
                drawn += 1
        if floor is not None and floor > 0:
            ax.axhline(math.log(floor), color="grey", linestyle="--", label="floor")
        ax.set_xlabel(x_label)
        ax.set_ylabel("log MMD² (natural)")
        if work:
            ax.set_xscale("log")
        if drawn:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no reference: no MMD", ha="center", transform=ax.transAxes)
        fig.tight_layout()
        out = os.path.join(args.out_dir, name)
        fig.savefig(out, dpi=DPI, facecolor="white")
        plt.close(fig)
        written.append(out)

    mmd_panel("seconds", "seconds of sampling", "mmd_seconds.png")
    mmd_panel("factor_evaluations", "factor evaluations (all chains)", "mmd_work.png", work=True)

    fig, ax = plt.subplots(figsize=(inches(PANEL_PX[0] + 100), inches(PANEL_PX[1])), dpi=DPI)
    for s in samplers:
        pts = [p for p in s["points"] if p.get("mean_energy") is not None]
        ax.plot([p["seconds"] for p in pts], [p["mean_energy"] for p in pts], marker=".",
                label=s["label"])
    ax.set_xlabel("seconds of sampling")
    ax.set_ylabel("mean log-potential of the chains")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = os.path.join(args.out_dir, "energy.png")
    fig.savefig(out, dpi=DPI, facecolor="white")
    plt.close(fig)
    written.append(out)

    fig, ax = plt.subplots(figsize=(inches(PANEL_PX[0] + 100), inches(PANEL_PX[1])), dpi=DPI)
    labels = [s["label"] for s in samplers]
    values = [s.get("ess_per_second") or 0.0 for s in samplers]
    ax.bar(range(len(labels)), values, color="tab:blue")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("energy ESS per second")
    if finite(values) and max(finite(values)) > 0:
        ax.set_yscale("log")
    fig.tight_layout()
    out = os.path.join(args.out_dir, "ess.png")
    fig.savefig(out, dpi=DPI, facecolor="white")
    plt.close(fig)
    written.append(out)
    for out in written:
        print(out)


# ---------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(prog="dgm_plot.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    c = commands.add_parser(
        "curves", help="learning curves from JSON-lines training logs",
        description=f"One panel each for gradient_norm, the proxy (train and test), tau_int with "
        f"k as a dashed reference, parameter_rmse (log scale) and test_log_likelihood, when a log "
        f"has them; several logs are overlaid. Panels are {PANEL_PX[0]}×{PANEL_PX[1]} px, "
        f"up to {MAX_PANEL_COLUMNS} a row.")
    c.add_argument("logs", nargs="+", metavar="LOG.jsonl")
    c.add_argument("--out", required=True, metavar="FILE.png")
    c.add_argument("--x", default="epoch", choices=["epoch", "seconds", "updates"])
    c.add_argument("--y", nargs="+", metavar="FIELD", help="plot these fields instead, a panel each")
    c.add_argument("--logy", action="store_true", help="log scale on every panel")
    c.add_argument("--labels", help="comma-separated, one per log (default: method/sampler)")
    c.set_defaults(run=curves)

    g = commands.add_parser(
        "grid", help="a grid of binary or grey images from an .npy",
        description=f"Images from [n, H, W], or from [n, columns] rows with --shape H,W. The "
        f"figure is cols×cell by rows×cell pixels (plus {TITLE_PX} px for a title).")
    g.add_argument("samples", metavar="SAMPLES.npy")
    g.add_argument("--out", required=True, metavar="FILE.png")
    g.add_argument("--shape", metavar="H,W", help="image shape of 2-D rows")
    g.add_argument("--offset", type=int, metavar="K",
                   help="2-D rows: the image is columns K..K+H*W-1 (rows may hold more)")
    g.add_argument("--rows", type=int, help="default: enough for up to 100 images")
    g.add_argument("--cols", type=int, help="default: min(n, 10)")
    g.add_argument("--cell", type=int, default=56, help="pixels per image (default 56)")
    g.add_argument("--title")
    g.set_defaults(run=grid)

    k = commands.add_parser(
        "compare", help="the figures of dgm compare from its JSON",
        description="mmd_seconds.png and mmd_work.png (log MMD² against seconds and against "
        "factor evaluations, with the floor dashed), energy.png (the chains' mean log-potential) "
        "and ess.png (energy ESS per second, bars), written into --out-dir.")
    k.add_argument("comparison", metavar="COMPARE.json")
    k.add_argument("--out-dir", required=True, metavar="DIR")
    k.set_defaults(run=compare)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except InputError as e:
        sys.stderr.write(f"dgm_plot.py: error: {e}\n")
        return 1
    except OSError as e:  # e.g. --out in a directory that does not exist
        sys.stderr.write(f"dgm_plot.py: error: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
