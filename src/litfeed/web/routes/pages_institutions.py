"""Pages: /admin/institutions (administrators add, edit and remove institutions) and the
reader's institution picker on /settings."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from litfeed.errors import LitfeedError
from litfeed.fulltext.institutions import Institution
from litfeed.service import institutions
from litfeed.service.accounts import SignedIn
from litfeed.web.deps import AdminUser, CheckedForm, CurrentUser, RowId, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.forms import done, field

router = APIRouter(include_in_schema=False)
ADMIN_PAGE = "/admin/institutions"
_DOMAIN_SEPARATORS = re.compile(r"[\s,;]+")


def _from_form(form: FormData) -> Institution:
    """The form's fields; email domains may be separated by commas, spaces or new lines."""
    domains = tuple(d for d in _DOMAIN_SEPARATORS.split(field(form, "email_domains")) if d)
    return Institution(name=field(form, "name"), ezproxy_prefix=field(form, "ezproxy_prefix"),
                       openurl_base=field(form, "openurl_base"), ill_url=field(form, "ill_url"),
                       email_domains=domains)


def _page(request: Request, store: StoreDep, auth: SignedIn, *, status: int = 200,
          **context: Any) -> Response:
    return render(request, "pages/admin_institutions.html",
                  {"institutions": institutions.list_institutions(store),
                   "done": request.query_params.get("done"), **context},
                  auth=auth, status=status)


@router.get(ADMIN_PAGE)
def admin_page(request: Request, auth: AdminUser, store: StoreDep) -> Response:
    return _page(request, store, auth)


@router.post(ADMIN_PAGE)
def add(request: Request, auth: AdminUser, form: CheckedForm, store: StoreDep) -> Response:
    """A bad field re-renders the page with the message and what was typed (400/409)."""
    typed = _from_form(form)
    try:
        saved = institutions.add_institution(store, typed)
    except LitfeedError as exc:
        return _page(request, store, auth, status=exc.status, error=exc.message,
                     draft=typed, editing=None)
    return RedirectResponse(f"{ADMIN_PAGE}?done=added#institution-{saved.id}", status_code=303)


@router.post(ADMIN_PAGE + "/{institution_id}")
def edit(institution_id: RowId, request: Request, auth: AdminUser, form: CheckedForm,
         store: StoreDep) -> Response:
    typed = _from_form(form)
    try:
        institutions.update_institution(store, institution_id, typed)
    except LitfeedError as exc:
        return _page(request, store, auth, status=exc.status, error=exc.message,
                     draft=typed, editing=institution_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=saved#institution-{institution_id}",
                            status_code=303)


@router.post(ADMIN_PAGE + "/{institution_id}/delete")
def remove(institution_id: RowId, auth: AdminUser, form: CheckedForm,
           store: StoreDep) -> Response:
    institutions.remove_institution(store, institution_id)
    return RedirectResponse(f"{ADMIN_PAGE}?done=removed", status_code=303)


@router.post("/settings/institution")
def choose(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep) -> Response:
    """institution = an id, "none", or "" (match my email domain)."""
    reader = institutions.set_reader_institution(store, auth.user,
                                                 field(form, "institution") or None)
    return done(request, form, "/settings?institution=saved#institution", reader.to_json())
