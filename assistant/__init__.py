"""Offline Vietnamese news assistant: the read path (retrieve, answer, cite, chat, web)."""

__version__ = "0.1.0"
