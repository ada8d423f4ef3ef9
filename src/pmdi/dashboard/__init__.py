"""Organisation dashboard: document throughput, processing times, AI cost and register health."""
