#!/usr/bin/env python3
"""Real photos of 1D codes: the project, zxing-cpp and zbar on the same images.

Usage: python benches/ref_photos.py TAGSTATION_BINARY [FOLDER,FOLDER,...] [-v]
Reads the zxing-cpp sample folders vendored in tests/data/zxing-cpp (the 1D ones by
default), decodes each image with `TAGSTATION_BINARY decode --json` (the stills pipeline),
zxing-cpp (`zxingcpp.read_barcodes`, its defaults) and zbar (`pyzbar`), and prints per
folder how many images each read (the text in NAME.txt) and how many it gave a wrong code
for. UPC-A read as its 12 digits or as the 13-digit EAN-13 with a leading 0 counts either
way, and a UPC-E as the UPC-A it expands to (the samples' .txt files use the 13-digit
forms). `-v` lists every image the project misses. Needs the tests' virtual environment
(tests/requirements.txt) and Debian's libzbar0.
"""
import json
import os
import subprocess
import sys

from PIL import Image
import zxingcpp
from pyzbar import pyzbar

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "zxing-cpp")
FOLDERS = (
    "code128-1,code128-2,code128-3,code39-1,code39-2,code39-3,ean13-1,ean13-2,ean13-3,"
    "ean13-4,ean8-1,itf-1,itf-2,upca-1,upca-2,upca-3,upca-4,upca-5,upce-1"
)
IMAGES = ("png", "jpg", "jpeg", "webp", "gif", "pgm")


def upce_to_upca(s):
    """The 13-digit form of an 8-digit UPC-E (number system, six digits, check digit)."""
    if len(s) != 8 or not s.isdigit():
        return None
    ns, d, check = s[0], s[1:7], s[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return "0" + ns + body + check


def same(got, want):
    return (
        got == want
        or (len(got) == 12 and "0" + got == want)
        or upce_to_upca(got) == want
    )


def ours(binary, path):
    out = subprocess.run([binary, "decode", "--json", path], capture_output=True, text=True).stdout
    try:
        entries = json.loads(out)
    except ValueError:
        return []
    return [c["text"] for e in entries for c in (e.get("codes") or []) if c.get("text") is not None]


def main():
    binary = sys.argv[1]
    folders = (sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] != "-v" else FOLDERS).split(",")
    verbose = "-v" in sys.argv
    names = ("project", "zxing-cpp", "zbar")
    total = {"images": 0}
    print(f"{'folder':<12} {'images':>6} " + " ".join(f"{n + ' read/wrong':>20}" for n in names))
    for folder in folders:
        d = os.path.join(ROOT, folder)
        row = {"images": 0}
        for f in sorted(os.listdir(d)):
            stem, _, ext = f.rpartition(".")
            txt = os.path.join(d, stem + ".txt")
            if ext not in IMAGES or not os.path.exists(txt):
                continue
            want = open(txt, encoding="utf-8").read().strip()
            pil = Image.open(os.path.join(d, f)).convert("L")
            got = {
                "project": ours(binary, os.path.join(d, f)),
                "zxing-cpp": [r.text for r in zxingcpp.read_barcodes(pil)],
                "zbar": [
                    r.data.decode("utf-8", "replace")
                    for r in pyzbar.decode((pil.tobytes(), pil.width, pil.height))
                ],
            }
            row["images"] += 1
            for n in names:
                texts = [t.strip() for t in got[n]]
                ok = any(same(t, want) for t in texts)
                row[n] = row.get(n, 0) + ok
                row[n + " wrong"] = row.get(n + " wrong", 0) + (bool(texts) and not ok)
                if verbose and n == "project" and not ok:
                    print(f"  MISS {folder}/{f} want {want!r} got {texts!r}", file=sys.stderr)
        print(
            f"{folder:<12} {row['images']:>6} "
            + " ".join(f"{str(row.get(n, 0)) + ' / ' + str(row.get(n + ' wrong', 0)):>20}" for n in names),
            flush=True,
        )
        for k, v in row.items():
            total[k] = total.get(k, 0) + v
    print(
        f"{'all':<12} {total['images']:>6} "
        + " ".join(f"{str(total.get(n, 0)) + ' / ' + str(total.get(n + ' wrong', 0)):>20}" for n in names)
    )


if __name__ == "__main__":
    main()
