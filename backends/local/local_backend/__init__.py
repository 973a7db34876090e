"""The `local` backend plugin of assets: offline head extraction (see ../README.md)."""

VERSION = "1.0.0"
