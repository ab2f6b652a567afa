"""AI triage (DESIGN section 7): the ports, the local embedder and index, and the AWS and
Anthropic adapters. The pure voting and routing rules live in mspdesk.domain.triage."""
