"""Reports for facility staff and the hub team: utilization, visits, events, rollups."""
