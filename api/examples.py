"""Response examples for the staff report routes, taken from a real run on seeded data.

They are checked against the served schemas (tests/api/test_openapi.py), so an
example cannot drift from what the route returns.
"""

from __future__ import annotations

from typing import Any

_USE: dict[str, Any] = {
    "id": "buzz-north", "zone": "buzz-north", "capacity": 24, "open_h": 20.0, "occupied_h": 9.0,
    "free_h": 11.0, "unknown_h": 0.0, "occupied_share": 0.45, "unknown_share": 0.0,
    "mean_occupancy": 3.3, "mean_vs_capacity": 0.1375, "peak": 10, "peak_vs_capacity": 0.4167,
    "flag": "underused"}
_DESK_USE: dict[str, Any] = {
    "id": "q-01", "zone": "quiet", "capacity": 1, "open_h": 20.0, "occupied_h": 2.5,
    "free_h": 17.5, "unknown_h": 0.0, "occupied_share": 0.125, "unknown_share": 0.0,
    "mean_occupancy": 0.125, "mean_vs_capacity": 0.125, "peak": None, "peak_vs_capacity": None,
    "flag": None}
_PERIOD = {"first": "2026-11-17", "last": "2026-11-18"}

UTILIZATION: dict[str, Any] = {
    "site": "hbg-works", "period": _PERIOD, "excluded_days": [], "zones": [_USE],
    "desks": [_DESK_USE],
    # Mean people per hour of the week (168 values, Monday 00:00 first), null while unknown.
    "profile": {"buzz-north": [None] * 32 + [4.0] * 4 + [10.0] * 5 + [0.0] * 25
                + [30.0] * 3 + [0.0] * 3 + [None] * 96},
    "busiest": {"buzz-north": [[66, 30.0], [67, 30.0], [68, 30.0]]},
    "rollups_through": "2026-11-18T23:00:00Z"}
UTILIZATION_CSV = (
    "kind,id,zone,capacity,open_h,occupied_h,free_h,unknown_h,occupied_share,unknown_share,"
    "mean_occupancy,mean_vs_capacity,peak,peak_vs_capacity,flag\n"
    "zone,buzz-north,buzz-north,24,20.0,9.0,11.0,0.0,0.45,0.0,3.3,0.1375,10,0.4167,underused\n"
    "desk,q-01,quiet,1,20.0,2.5,17.5,0.0,0.125,0.0,0.125,0.125,,,\n")

VISITS: dict[str, Any] = {
    "site": "hbg-works", "period": _PERIOD, "by": "day",
    "rows": [["2026-11-17", 80], ["2026-11-18", 12]], "total": 92,
    "peak_hour": [1794913200000, 30], "previous_total": 75, "trend": 0.2267,
    "baseline_per_day": 46.0, "excluded_days": [], "rollups_through": "2026-11-18T23:00:00Z"}
VISITS_CSV = "day,visits\n2026-11-17,80\n2026-11-18,12\n"
VISITS_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="420" viewBox="0 0 960 420">'
    '<text x="64" y="28">Visits per day, 2026-11-17 to 2026-11-18 (total 92)</text>'
    '<rect class="bar" x="107.6" y="109.6" width="348.8" height="246.4" fill="#2f6f8f">'
    '<title>2026-11-17: 80</title></rect>…</svg>')

COMPARE: list[dict[str, Any]] = [{
    "zone": "buzz-north",
    "before": {**_USE, "open_h": 10.0, "free_h": 1.0, "occupied_share": 0.9,
               "mean_occupancy": 6.6, "mean_vs_capacity": 0.275, "flag": None},
    "after": {**_USE, "open_h": 10.0, "occupied_h": 0.0, "free_h": 10.0, "occupied_share": 0.0,
              "mean_occupancy": 0.0, "mean_vs_capacity": 0.0, "peak": 0,
              "peak_vs_capacity": 0.0}}]
COMPARE_CSV = (
    "zone,before_capacity,before_mean_vs_capacity,before_occupied_share,before_flag,"
    "after_capacity,after_mean_vs_capacity,after_occupied_share,after_flag,change,"
    "occupied_share_change\nbuzz-north,24,0.275,0.9,,24,0.0,0.0,underused,-0.275,-0.9\n")

EVENT_REPORTS: list[dict[str, Any]] = [{
    "event": {"id": "demo-night-20261118", "name": "Demo night", "start_ms": 1795021200000,
              "end_ms": 1795032000000, "zones": ["buzz-north"]},
    "visits": 12,
    "zones": [{"zone": "buzz-north", "mean_occupancy": 30.0, "peak": 30, "unknown_share": 0.0}]}]
EVENT_REPORTS_CSV = (
    "event,name,start,end,visits,zone,mean_occupancy,peak,unknown_share\n"
    "demo-night-20261118,Demo night,2026-11-18T17:00:00Z,2026-11-18T20:00:00Z,12,buzz-north,"
    "30.0,30,0.0\n")

EVENT: dict[str, Any] = {"id": "demo-night-20261118", "name": "Demo night",
                         "start": "2026-11-18T17:00:00Z", "end": "2026-11-18T20:00:00Z",
                         "zones": ["buzz-north"]}

ACOUSTICS: dict[str, Any] = {}
ACOUSTICS_CSV = ""
ACCURACY: dict[str, Any] = {}
ACCURACY_CSV = ""
CHECK: dict[str, Any] = {}
