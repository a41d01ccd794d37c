"""The citizen's own pages (``/account``), signed in with the same e-ID as any portal."""
