"""Catalogs and defaults shipped with auditor (TOML files)."""
