"""The write path: load, clean, chunk, embed and store articles."""
