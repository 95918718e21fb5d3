"""Crowd page: each zone's density gauge, level, rate of rise, forecast and the last hour's chart."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from lantern.crowd import service as crowd_service
from lantern.security import context
from lantern.security.policy import Principal
from lantern.web.auth import require
from lantern.web.deps import SessionDep
from lantern.web.templating import render

router = APIRouter(tags=["crowd pages"], include_in_schema=False)
Reader = Annotated[Principal, require("crowd:read")]
CHART_W, CHART_H = 480.0, 120.0


@router.get("/crowd", response_class=HTMLResponse)
def crowd_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    zones = crowd_service.zone_statuses(session, principal, hours=1.0)
    since = context.now(session) - timedelta(hours=1)
    for z in zones:
        top = max([z["spec"].levels[-1] * 1.2, *[d for _, d in z["points"]]])
        z["chart"] = crowd_service.chart_points(z["points"], CHART_W, CHART_H, top, since, 3600)
        z["level_lines"] = [
            (name, CHART_H - t / top * CHART_H)
            for name, t in zip(("watch", "warning", "critical"), z["spec"].levels, strict=True)
        ]
    return render(request, "crowd.html", zones=zones, chart_w=CHART_W, chart_h=CHART_H)
