"""Use cases. Every entry point (API, mail, phone, schedules) ends in these."""
