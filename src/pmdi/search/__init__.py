"""Hybrid search over document chunks, question answering and similar documents."""
