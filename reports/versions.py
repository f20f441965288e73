"""Layout versions: which layout was in force on a day, and the days each one covers.

A layout file carries `version` and `effective_from`; `report.earlier_layouts`
lists the files of the versions before the current one. Rollups use the layout
in force on each day (its zones, desks and capacities), so a report on an old
period counts the zones that existed then, and `compare` can set two versions
side by side.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from hubsense.layout import Layout, LayoutError, load_layout
from hubsense.layouts import earlier_paths
from hubsense.settings import Settings
from reports.hours import Period, ReportRangeError, consecutive


@dataclass(frozen=True)
class Versions:
    """A site's layouts, oldest first; each is in force from its `effective_from`."""

    layouts: tuple[Layout, ...]

    @classmethod
    def of(cls, current: Layout, earlier: Sequence[Layout] = (), names: Sequence[str] = ()
           ) -> Versions:
        """Order and check the versions; `names` (files) make the errors point somewhere."""
        if not earlier:
            return cls((current,))
        where = [*names, "layout"] if len(names) == len(earlier) else ["layout"] * (
            len(earlier) + 1)
        found = [*earlier, current]
        for lay, name in zip(found, where, strict=True):
            if lay.effective_from is None:
                raise LayoutError(f"{name}: effective_from: needed when report.earlier_layouts "
                                  "is set (the day this version took effect)")
            if lay.site.id != current.site.id:
                raise LayoutError(f"{name}: site.id: {lay.site.id!r} is not the current "
                                  f"layout's {current.site.id!r}")
        ordered = sorted(found, key=lambda lay: (lay.effective_from, lay.version))
        if ordered[-1] is not current:
            raise LayoutError("layout: effective_from must be the latest of all versions")
        for a, b in pairwise(ordered):
            if not (a.version < b.version and a.effective_from != b.effective_from):
                raise LayoutError(f"layout versions {a.version} ({a.effective_from}) and "
                                  f"{b.version} ({b.effective_from}): versions must grow with "
                                  "their effective_from, one version a day")
        return cls(tuple(ordered))

    @property
    def current(self) -> Layout:
        return self.layouts[-1]

    def in_force(self, d: date) -> Layout:
        """The layout in force on local day `d` (before the first version: the first)."""
        starts = [lay.effective_from or date.min for lay in self.layouts]
        return self.layouts[max(0, bisect_right(starts, d) - 1)]

    def get(self, version: int) -> Layout:
        for lay in self.layouts:
            if lay.version == version:
                return lay
        known = ", ".join(str(lay.version) for lay in self.layouts)
        raise ReportRangeError(f"no layout version {version} (known: {known}; older versions "
                               "are listed in report.earlier_layouts)")

    def last_day(self, lay: Layout) -> date | None:
        """The last day `lay` was in force, or None while it still is."""
        i = self.layouts.index(lay)
        nxt = self.layouts[i + 1].effective_from if i + 1 < len(self.layouts) else None
        return None if nxt is None else nxt - timedelta(days=1)

    def runs(self, days: Sequence[date]) -> list[Period]:
        """Sorted days as runs of consecutive days under one version each."""
        out: list[Period] = []
        for run in consecutive(days):
            d = run.first
            while d <= run.last:
                last = self.last_day(self.in_force(d))
                upto = run.last if last is None else min(run.last, last)
                out.append(Period(d, upto))
                d = upto + timedelta(days=1)
        return out

    def periods(self, before: int, after: int, days: int, today: date
                ) -> tuple[Period, Period]:
        """The last `days` of version `before` and the first `days` of `after`, up to today."""
        if days < 1:
            raise ReportRangeError(f"--days {days}: compare at least one day")
        a, b = self.get(before), self.get(after)
        if a.effective_from is None or b.effective_from is None or a.version >= b.version:
            raise ReportRangeError("give an older and a newer layout version, in that order")
        a_last = self.last_day(a)
        assert a_last is not None  # a is older than b
        p_before = Period(max(a.effective_from, a_last - timedelta(days=days - 1)), a_last)
        b_last = min(x for x in (b.effective_from + timedelta(days=days - 1), self.last_day(b),
                                 today) if x is not None)
        if b_last < b.effective_from:
            raise ReportRangeError(f"layout version {b.version} takes effect on "
                                   f"{b.effective_from}: nothing to compare yet")
        return p_before, Period(b.effective_from, b_last)


def load_versions(current: Layout, settings: Settings) -> Versions:
    """The current layout and its earlier versions: those `report.earlier_layouts` lists
    and those `hubsense layout apply` kept beside the layout file."""
    paths = earlier_paths(settings.layout, settings.report.earlier_layouts)
    return Versions.of(current, [load_layout(p) for p in paths], [str(p) for p in paths])
