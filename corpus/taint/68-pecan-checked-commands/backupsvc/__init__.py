"""Backup agent API (Pecan)."""
