"""Response examples for the staff report routes, taken from a real run on seeded data.

tests/seeded_reports.py, with an hour of LAeq in buzz-north, the event "Demo night"
and one headcount added, as the reports service answers on Wednesday 2026-11-18 at
23:30. They are checked against the served schemas (tests/api/test_openapi.py), so
an example cannot drift from what the route returns.
"""

from __future__ import annotations

from typing import Any

UTILIZATION: dict[str, Any] = {
    "site": "hbg-works",
    "period": {"first": "2026-11-17", "last": "2026-11-18"},
    "excluded_days": [],
    "zones": [
        {
            "id": "buzz-north",
            "zone": "buzz-north",
            "capacity": 24,
            "open_h": 20.0,
            "occupied_h": 9.0,
            "free_h": 11.0,
            "unknown_h": 0.0,
            "occupied_share": 0.45,
            "unknown_share": 0.0,
            "mean_occupancy": 3.3,
            "mean_vs_capacity": 0.1375,
            "peak": 10,
            "peak_vs_capacity": 0.4167,
            "flag": "underused",
            "flag_reason": None,
            "known_outside_h": 20.0,
        }
    ],
    "desks": [
        {
            "id": "q-01",
            "zone": "quiet",
            "capacity": 1,
            "open_h": 20.0,
            "occupied_h": 2.5,
            "free_h": 17.5,
            "unknown_h": 0.0,
            "occupied_share": 0.125,
            "unknown_share": 0.0,
            "mean_occupancy": 0.125,
            "mean_vs_capacity": 0.125,
            "peak": None,
            "peak_vs_capacity": None,
            "flag": None,
            "flag_reason": None,
            "known_outside_h": 28.0,
        }
    ],
    "profile": {
        "buzz-north": [None] * 32
        + [4.0] * 4
        + [10.0] * 5
        + [0.0] * 25
        + [30.0] * 3
        + [0.0] * 3
        + [None] * 96
    },
    "busiest": {
        "buzz-north": [
            {"how": 66, "label": "Wed 18:00", "mean_occupancy": 30.0},
            {"how": 67, "label": "Wed 19:00", "mean_occupancy": 30.0},
            {"how": 68, "label": "Wed 20:00", "mean_occupancy": 30.0},
        ]
    },
    "rollups_through": "2026-11-19T00:00:00+01:00",
    "versions": [{"version": 1, "first": "2026-11-17", "last": "2026-11-18"}],
    "opening_hours": "mon-fri 08:00-18:00",
    "in_progress": False,
    "counted_through": "2026-11-19T00:00:00+01:00",
    "exclusion": None,
}

UTILIZATION_CSV = (
    "kind,id,zone,capacity,open_h,occupied_h,free_h,unknown_h,"
    "occupied_share,unknown_share,mean_occupancy,mean_vs_capacity,peak,"
    "peak_vs_capacity,flag,flag_reason,known_outside_h\n"
    "zone,buzz-north,buzz-north,24,20.0,9.0,11.0,0.0,0.45,0.0,3.3,0.1375,"
    "10,0.4167,underused,,20.0\n"
    "desk,q-01,quiet,1,20.0,2.5,17.5,0.0,0.125,0.0,0.125,0.125,,,,,28.0\n"
)

VISITS: dict[str, Any] = {
    "site": "hbg-works",
    "period": {"first": "2026-11-17", "last": "2026-11-18"},
    "by": "day",
    "rows": [["2026-11-17", 80], ["2026-11-18", 12]],
    "total": 92,
    "peak_hour": {"start": "2026-11-17T12:00:00+01:00", "visits": 30},
    "previous_total": 0,
    "trend": None,
    "baseline_per_day": 80.0,
    "excluded_days": [],
    "rollups_through": "2026-11-19T00:00:00+01:00",
    "in_progress": True,
    "counted_through": "2026-11-18T23:30:00+01:00",
    "previous_through": "2026-11-16T23:30:00+01:00",
    "exclusion": None,
}

VISITS_CSV = "day,visits\n2026-11-17,80\n2026-11-18,12\n"

COMPARE: dict[str, Any] = {
    "before": {"first": "2026-11-17", "last": "2026-11-17", "versions": [1], "days": 1},
    "after": {"first": "2026-11-18", "last": "2026-11-18", "versions": [1], "days": 1},
    "zones": [
        {
            "zone": "buzz-north",
            "before": {
                "id": "buzz-north",
                "zone": "buzz-north",
                "capacity": 24,
                "open_h": 10.0,
                "occupied_h": 9.0,
                "free_h": 1.0,
                "unknown_h": 0.0,
                "occupied_share": 0.9,
                "unknown_share": 0.0,
                "mean_occupancy": 6.6,
                "mean_vs_capacity": 0.275,
                "peak": 10,
                "peak_vs_capacity": 0.4167,
                "flag": None,
                "flag_reason": None,
                "known_outside_h": 6.0,
            },
            "after": {
                "id": "buzz-north",
                "zone": "buzz-north",
                "capacity": 24,
                "open_h": 10.0,
                "occupied_h": 0.0,
                "free_h": 10.0,
                "unknown_h": 0.0,
                "occupied_share": 0.0,
                "unknown_share": 0.0,
                "mean_occupancy": 0.0,
                "mean_vs_capacity": 0.0,
                "peak": 0,
                "peak_vs_capacity": 0.0,
                "flag": "underused",
                "flag_reason": None,
                "known_outside_h": 14.0,
            },
            "mean_vs_capacity_change": -0.275,
            "occupied_share_change": -0.9,
            "cannot_tell": None,
        },
        {
            "zone": "quiet",
            "before": {
                "id": "quiet",
                "zone": "quiet",
                "capacity": 8,
                "open_h": 10.0,
                "occupied_h": 0.0,
                "free_h": 0.0,
                "unknown_h": 10.0,
                "occupied_share": 0.0,
                "unknown_share": 1.0,
                "mean_occupancy": None,
                "mean_vs_capacity": None,
                "peak": None,
                "peak_vs_capacity": None,
                "flag": "insufficient_data",
                "flag_reason": (
                    "known 0.0 of 10.0 opening hours (mon-fri 08:00-18:00), under 50% "
                    "(report.min_known_share)"
                ),
                "known_outside_h": 0.0,
            },
            "after": {
                "id": "quiet",
                "zone": "quiet",
                "capacity": 8,
                "open_h": 10.0,
                "occupied_h": 0.0,
                "free_h": 0.0,
                "unknown_h": 10.0,
                "occupied_share": 0.0,
                "unknown_share": 1.0,
                "mean_occupancy": None,
                "mean_vs_capacity": None,
                "peak": None,
                "peak_vs_capacity": None,
                "flag": "insufficient_data",
                "flag_reason": (
                    "known 0.0 of 10.0 opening hours (mon-fri 08:00-18:00), under 50% "
                    "(report.min_known_share)"
                ),
                "known_outside_h": 0.0,
            },
            "mean_vs_capacity_change": None,
            "occupied_share_change": None,
            "cannot_tell": (
                "0% of opening hours known before, under 50% (report.min_known_share); "
                "0% of opening hours known after, under 50% (report.min_known_share)"
            ),
        },
    ],
    "excluded_days": [],
    "exclusion": None,
}

COMPARE_CSV = (
    "zone,before_capacity,before_mean_vs_capacity,before_occupied_share,"
    "before_flag,after_capacity,after_mean_vs_capacity,"
    "after_occupied_share,after_flag,change,occupied_share_change,"
    "cannot_tell\n"
    "buzz-north,24,0.275,0.9,,24,0.0,0.0,underused,-0.275,-0.9,\n"
    'quiet,8,,0.0,insufficient_data,8,,0.0,insufficient_data,,,"0% of '
    "opening hours known before, under 50% (report.min_known_share); 0% of "
    'opening hours known after, under 50% (report.min_known_share)"\n'
)

EVENT_REPORTS: list[dict[str, Any]] = [
    {
        "event": {
            "id": "demo-night-20261118",
            "name": "Demo night",
            "start": "2026-11-18T18:00:00+01:00",
            "end": "2026-11-18T21:00:00+01:00",
            "zones": ["buzz-north"],
        },
        "visits": 12,
        "zones": [{"zone": "buzz-north", "mean_occupancy": 30.0, "peak": 30, "unknown_share": 0.0}],
        "status": "over",
        "counted_through": "2026-11-18T21:00:00+01:00",
        "usual_visits": None,
        "usual_days": [],
    }
]

EVENT_REPORTS_CSV = (
    "event,name,start,end,status,visits,usual_visits,usual_days,zone,mean_occupancy,peak,"
    "unknown_share\n"
    "demo-night-20261118,Demo night,2026-11-18T18:00:00+01:00,"
    "2026-11-18T21:00:00+01:00,over,12,,0,buzz-north,30.0,30,0.0\n"
)

TODAY: dict[str, Any] = {
    "site": "hbg-works",
    "day": "2026-11-25",
    "counted_through": "2026-11-25T11:20:00+01:00",
    "hours_before": 11,
    "today": {"visits": 64, "peak_people": 31.5, "peak_hour": 10,
              "busiest_zone": "quiet", "busiest_share": 0.81},
    "typical": {"visits": 52.5, "peak_people": 27.25, "peak_hour": 10,
                "busiest_zone": "quiet", "busiest_share": 0.74},
    "typical_days": ["2026-10-28", "2026-11-04", "2026-11-11", "2026-11-18"],
    "in_progress": True,
}

TODAY_CSV = (
    "day,visits,peak_people,peak_hour,busiest_zone,busiest_share\n"
    "2026-11-25,64,31.5,10,quiet,0.81\n"
    "typical,52.5,27.25,10,quiet,0.74\n"
)

LAYOUTS: list[dict[str, Any]] = [
    {"version": 1, "effective_from": "2026-10-01", "last_day": "2026-11-01"},
    {"version": 2, "effective_from": "2026-11-02", "last_day": None},
]

NODE_HISTORY: dict[str, Any] = {
    "node": "desk-q1",
    "hours": [
        {"start": "2026-11-18T09:00:00+01:00", "heartbeats": 60, "heap_free_min": 61184,
         "rssi_mean": -61.5, "drops_max": 0, "uptime_s_max": 7140},
        {"start": "2026-11-18T10:00:00+01:00", "heartbeats": 0, "heap_free_min": None,
         "rssi_mean": None, "drops_max": None, "uptime_s_max": None},
    ],
}

NODE_HISTORY_CSV = (
    "node,hour,heartbeats,heap_free_min,rssi_mean,drops_max,uptime_s_max\n"
    "desk-q1,2026-11-18T09:00:00+01:00,60,61184,-61.5,0,7140\n"
    "desk-q1,2026-11-18T10:00:00+01:00,0,,,,\n"
)

NODES_CSV = (
    "node,online,fresh,last_seen_ms,fw,uptime_s,heap_free,rssi,drops\n"
    "desk-q1,True,True,1795426010000,0.1.0,3600,61440,-61,0\n"
)

ACOUSTICS: dict[str, Any] = {
    "site": "hbg-works",
    "period": {"first": "2026-11-17", "last": "2026-11-18"},
    "zones": [
        {
            "zone": "buzz-north",
            "kind": "buzz_zone",
            "target_db": 65,
            "open_h": 20.0,
            "measured_h": 1.0,
            "above_h": 0.35,
            "above_share": 0.35,
            "measured_share": 0.05,
        },
        {
            "zone": "buzz-south",
            "kind": "buzz_zone",
            "target_db": 65,
            "open_h": 20.0,
            "measured_h": 0.0,
            "above_h": 0.0,
            "above_share": None,
            "measured_share": 0.0,
        },
    ],
    "opening_hours": "mon-fri 08:00-18:00",
    "rollups_through": "2026-11-19T00:00:00+01:00",
    "in_progress": False,
    "counted_through": "2026-11-19T00:00:00+01:00",
}

ACOUSTICS_CSV = (
    "zone,kind,target_db,open_h,measured_h,above_h,above_share,measured_share\n"
    "buzz-north,buzz_zone,65,20.0,1.0,0.35,0.35,0.05\n"
    "buzz-south,buzz_zone,65,20.0,0.0,0.0,,0.0\n"
)

ACCURACY: dict[str, Any] = {
    "site": "hbg-works",
    "period": {"first": "2026-11-17", "last": "2026-11-18"},
    "tolerance": 1,
    "zones": [
        {
            "sensor": "count",
            "checks": 1,
            "compared": 1,
            "mean_error": -1.0,
            "mean_abs_error": 1.0,
            "within_share": 1.0,
            "zone": "buzz-north",
        }
    ],
    "sensors": [
        {
            "sensor": "count",
            "checks": 1,
            "compared": 1,
            "mean_error": -1.0,
            "mean_abs_error": 1.0,
            "within_share": 1.0,
            "zone": None,
        }
    ],
}

ACCURACY_CSV = (
    "zone,sensor,checks,compared,mean_error,mean_abs_error,within_share\n"
    "buzz-north,count,1,1,-1.0,1.0,1.0\n"
    "(all),count,1,1,-1.0,1.0,1.0\n"
)

CHECK: dict[str, Any] = {
    "zone": "buzz-north",
    "at": "2026-11-17T13:00:00+01:00",
    "people": 11,
    "sensor": "count",
    "sensor_people": 10,
    "error": -1,
}

EVENT: dict[str, Any] = {
    "id": "demo-night-20261118",
    "name": "Demo night",
    "start": "2026-11-18T18:00:00+01:00",
    "end": "2026-11-18T21:00:00+01:00",
    "zones": ["buzz-north"],
}

VISITS_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="420" viewBox="0 0 960 420">'
    '<text x="64" y="28">Visits per day, 2026-11-17 to 2026-11-18 (total 92)</text>'
    '<rect class="bar" x="107.6" y="109.6" width="348.8" height="246.4" fill="#2f6f8f">'
    "<title>2026-11-17: 80</title></rect>…</svg>"
)

FEEDBACK: dict[str, Any] = {
    "site": "hbg-works", "period": {"first": "2026-11-17", "last": "2026-11-18"},
    "hours": [{"hour": "2026-11-18T14:00:00+01:00", "zone": "buzz-north", "too_loud": 3,
               "no_seat": 1},
              {"hour": "2026-11-18T15:00:00+01:00", "zone": "quiet", "too_loud": 0,
               "no_seat": 2}]}
