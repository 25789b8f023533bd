"""Draw the app icons into static/icons/ (run by hand: pip install pillow; python tools/make_icons.py).

A white heart on the brand colour. "any" icons fill the square with rounded corners; the
maskable ones keep the heart inside the central 80 % safe zone so any mask shape shows it whole.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (11, 61, 92, 255)  # --brand, #0b3d5c
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def heart(draw: ImageDraw.ImageDraw, cx: float, cy: float, size: float) -> None:
    """A heart `size` wide centred on (cx, cy): two circles and a triangle."""
    r = size / 4
    top = cy - size * 0.30
    draw.ellipse((cx - 2 * r, top - r, cx, top + r), fill=WHITE)
    draw.ellipse((cx, top - r, cx + 2 * r, top + r), fill=WHITE)
    draw.polygon(
        [
            (cx - 2 * r + r * 0.07, top + r * 0.37),
            (cx + 2 * r - r * 0.07, top + r * 0.37),
            (cx, cy + size * 0.45),
        ],
        fill=WHITE,
    )


def icon(px: int, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then shrink: smooth edges without anti-aliasing support
    big = px * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, big, big), fill=BRAND)
        heart(draw, big / 2, big / 2, big * 0.50)
    else:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.18, fill=BRAND)
        heart(draw, big / 2, big / 2, big * 0.62)
    return image.resize((px, px), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for px in (192, 512):
        icon(px, maskable=False).save(OUT / f"icon-{px}.png", optimize=True)
        icon(px, maskable=True).save(OUT / f"maskable-{px}.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    icon(48, maskable=False).save(OUT / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
