"""Rendering portal pages in the resident's language: negotiation, the cookie, template context."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from lantern.portal import i18n
from lantern.portal.i18n import COOKIE, LANGUAGES, Formats, Language, Translator, negotiate
from lantern.web.templating import render

ONE_YEAR_S = 365 * 24 * 3600


def language(request: Request) -> Language:
    """The resident's language: ``?lang=``, then the cookie, then Accept-Language, then the city's default."""
    default = request.app.state.runtime.settings.portal_default_language
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(COOKIE),
        request.headers.get("accept-language", ""),
        default,
    )


Lang = Annotated[Language, Depends(language)]


def translator(request: Request) -> Translator:
    """A translator for the request's language (for messages built in Python, e.g. flash texts)."""
    return Translator(language(request))


def _newstyle(translate: Callable[..., str]) -> Callable[..., str]:
    # Like Jinja's newstyle gettext: the translation is trusted markup (it comes from our
    # catalogue), the variables are escaped when they are filled in.
    @pass_context
    def gettext(context: Context, message: str, *args: Any, **variables: Any) -> str:
        text = translate(message, *args)
        if context.eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 - catalogue text is ours; variables are escaped by %
        return text % variables if variables else text

    return gettext


def _url_in(request: Request, code: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", code)]
    return f"{request.url.path}?{urlencode(params)}"


def portal_render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a portal page in the resident's language; remembers an explicit choice in a cookie."""
    lang = language(request)
    runtime = request.app.state.runtime
    translations = i18n.translations(lang.code)
    gettext = _newstyle(translations.gettext)
    context.update(
        lang=lang.html_lang,
        language=lang,
        languages=[(other, _url_in(request, other.code)) for other in LANGUAGES.values()],
        gettext=gettext,
        _=gettext,
        ngettext=_newstyle(translations.ngettext),
        fmt=Formats(lang, runtime.settings.city_timezone),
    )
    response = render(request, template, status_code=status_code, **context)
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        response.set_cookie(
            COOKIE, asked, max_age=ONE_YEAR_S, httponly=True, samesite="lax", secure=runtime.settings.https
        )
    response.headers["Content-Language"] = lang.html_lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
