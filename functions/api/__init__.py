"""The HTTP API: FastAPI, served in Lambda through Mangum and locally through uvicorn."""
