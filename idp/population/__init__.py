"""The population registry: citizens and their linked records. Knows nothing of OIDC."""
