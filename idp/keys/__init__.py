"""Signing keys: generation, sealed storage, rotation and the published JWKS."""
