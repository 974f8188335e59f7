"""Test support: live server processes and protocol clients."""
