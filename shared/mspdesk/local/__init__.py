"""The embedded local runtime behind `make dev`: moto's server for AWS, the API on uvicorn,
in-process event delivery from the route table, schedules, demo data, saved state."""
