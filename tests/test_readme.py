"""The README's settings table names every setting there is."""

from pathlib import Path

from hotline.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for name in SETTINGS:
        short = name.removeprefix("HOTLINE_SMTP")  # grouped as `_PORT`, `_USER` ... in one row
        assert f"`{name}`" in README or f"`{short}`" in README, name
