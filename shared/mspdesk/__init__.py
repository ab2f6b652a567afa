"""mspdesk: the shared library every function uses (shipped as a Lambda layer)."""
