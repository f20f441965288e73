"""One router per resource, each mounted under `PREFIX` by api.main (screen and
console pages sit beside it, at the root)."""

PREFIX = "/api/v1"  # the API's one version: a v2 would be a second parent router
