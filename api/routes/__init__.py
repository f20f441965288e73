"""One router per resource; `api_router` gathers the public and staff API."""
