"""Placeholder."""

__all__ = []
