"""Decode every image named on the command line with zxing-cpp, an independent decoder.

Prints one JSON object a line: {"path": ..., "codes": [{"text": ..., "format": ...}]}.
Used by tests/labels.rs; runs in the tests' virtual environment (tests/requirements.txt).
"""
import json
import sys

import zxingcpp
from PIL import Image

for path in sys.argv[1:]:
    with Image.open(path) as img:
        found = zxingcpp.read_barcodes(img.convert("L"))
    codes = [{"text": r.text, "format": str(r.format)} for r in found]
    print(json.dumps({"path": path, "codes": codes}))
