"""Repositories: the only code that knows DynamoDB keys and indexes."""
