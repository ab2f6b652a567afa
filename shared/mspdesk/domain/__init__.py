"""Pydantic models and pure rules. No I/O, no boto3."""
