"""E-ID accounts on top of registry records: credentials, identity level, browser sessions."""
