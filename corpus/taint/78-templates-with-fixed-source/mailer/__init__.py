"""Transactional mail previews."""
