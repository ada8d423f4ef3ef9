"""Rate limits per user and per client address, and per-organisation quotas on uploads."""
