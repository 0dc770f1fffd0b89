#!/usr/bin/env python3
"""The reference decoders for `cargo bench --bench decode`: zxing-cpp and zbar on the same frames.

Usage: python ref_decode.py DIR
Reads every DIR/*.png (grey), decodes each with zxing-cpp (`zxingcpp.read_barcodes`, its
defaults: every format, rotation, inversion and downscaling tried) and with zbar (`pyzbar`,
its defaults: every symbology), and prints one JSON object per image and decoder:
{"file": NAME, "decoder": "zxing-cpp"|"zbar", "ms": DECODE_MS, "texts": [...], "formats": [...]}.
Only the decode call is timed; the image is loaded before. A decoder that is missing prints
{"decoder": NAME, "missing": REASON} once. Needs the tests' virtual environment
(tests/requirements.txt) and Debian's libzbar0.
"""
import json
import os
import sys
import time

from PIL import Image


def decoders():
    out = []
    try:
        import zxingcpp

        def zx(im):
            rs = zxingcpp.read_barcodes(im["pil"])
            return [r.text for r in rs], [str(r.format) for r in rs]

        out.append(("zxing-cpp", zx))
    except ImportError as e:
        print(json.dumps({"decoder": "zxing-cpp", "missing": str(e)}), flush=True)
    try:
        from pyzbar import pyzbar

        def zb(im):
            rs = pyzbar.decode(im["raw"])
            return [r.data.decode("utf-8", "replace") for r in rs], [r.type for r in rs]

        out.append(("zbar", zb))
    except Exception as e:  # ImportError, or libzbar missing (pyzbar raises on load)
        print(json.dumps({"decoder": "zbar", "missing": str(e)}), flush=True)
    return out


def main():
    root = sys.argv[1]
    imgs = []
    for f in sorted(os.listdir(root)):
        if not f.endswith(".png"):
            continue
        pil = Image.open(os.path.join(root, f)).convert("L")
        pil.load()
        imgs.append({"file": f[:-4], "pil": pil, "raw": (pil.tobytes(), pil.width, pil.height)})
    for name, dec in decoders():
        for im in imgs:
            t = time.perf_counter()
            try:
                texts, formats = dec(im)
            except Exception:  # a decoder's own failure counts as "nothing read"
                texts, formats = [], []
            ms = (time.perf_counter() - t) * 1000
            print(json.dumps({"file": im["file"], "decoder": name, "ms": ms,
                              "texts": texts, "formats": formats}), flush=True)


main()
