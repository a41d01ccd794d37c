"""Authentication methods (plain functions over plain values) and the sign-in pages."""
