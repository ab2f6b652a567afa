"""Integrations behind small ports: one AWS adapter and one local adapter each."""
