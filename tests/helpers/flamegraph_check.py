#!/usr/bin/env python3
# flamegraph_check.py - reads what headless Chromium made of an SVG flame
# graph of paraprof-report (tests/integration/report_flamegraph.sh).
#
# Usage: flamegraph_check.py pixels PNG
#            two numbers: the pixels that are not the page's or the graph's
#            background (white, #fafaf0), and those of a function frame's
#            colour (red 205..255, green 0..230, blue 0..55, as report_svg.c
#            paints them); needs PIL (Debian's python3-pil, so run it with
#            /usr/bin/python3)
#        flamegraph_check.py frames DOM
#            one line per frame <g class="f"> of the DOM Chromium dumped:
#            "NAME<TAB>CALLS<TAB>SHOWN<TAB>WIDTH", CALLS from its <title>,
#            SHOWN 0 when the script hid it (display: none), WIDTH its
#            rect's width in px, rounded; exit 1 when DOM is not XML
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def pixels(path):
    from PIL import Image

    img = Image.open(path).convert("RGB")
    other = frame = 0
    for r, g, b in img.getdata():
        if (r, g, b) not in ((255, 255, 255), (250, 250, 240)):
            other += 1
        if r >= 205 and g <= 230 and b <= 55:
            frame += 1
    print(other, frame)


def frames(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        print("not XML:", e, file=sys.stderr)
        sys.exit(1)
    for g in root.iter(SVG + "g"):
        if g.get("class") != "f":
            continue
        title = g.find(SVG + "title").text or ""
        calls = re.search(r"\ncalls (\d+),", title)
        shown = 0 if "display: none" in (g.get("style") or "") else 1
        width = round(float(g.find(SVG + "rect").get("width")))
        print("%s\t%s\t%d\t%d" % (g.get("data-n"), calls.group(1) if calls else "", shown, width))


if __name__ == "__main__":
    {"pixels": pixels, "frames": frames}[sys.argv[1]](sys.argv[2])
