"""The protocol core: OpenID Connect Core 1.0 on Authlib. Knows clients, grants, tokens and
claims; nothing about passwords or pages (DESIGN.md §1)."""
