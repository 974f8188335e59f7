"""Event distribution between nodes: in-process (one node) or Redis (several nodes)."""
