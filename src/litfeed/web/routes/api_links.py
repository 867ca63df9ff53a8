"""JSON API: a paper's full-text links, institutions (admins write), the reader's institution."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from litfeed.errors import Unauthorized
from litfeed.fulltext.institutions import Institution
from litfeed.service import institutions
from litfeed.web.deps import AdminUser, CurrentUser, OptionalUser, RowId, SettingsDep, StoreDep
from litfeed.web.fulltext_view import finder

router = APIRouter(prefix="/api", tags=["full text"])

Url = Annotated[str | None, Field(max_length=institutions.MAX_URL)]
Name = Annotated[StrictStr, Field(max_length=institutions.MAX_NAME)]


class InstitutionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=institutions.MAX_NAME)
    ezproxy_prefix: Url = None
    openurl_base: Url = None
    ill_url: Url = None
    email_domains: list[str] = Field(default_factory=list, max_length=institutions.MAX_DOMAINS)

    def institution(self) -> Institution:
        return Institution(name=self.name, ezproxy_prefix=self.ezproxy_prefix,
                           openurl_base=self.openurl_base, ill_url=self.ill_url,
                           email_domains=tuple(self.email_domains))


class SettingsBody(BaseModel):
    """Only the keys sent change. ``institution``: an id or a name, ``"none"``, or null to
    match the email domain again."""

    model_config = ConfigDict(extra="forbid")

    institution: StrictInt | Name | None = None


@router.get("/papers/{pmid}/links")
def paper_links(pmid: str, request: Request, settings: SettingsDep,
                auth: OptionalUser) -> dict[str, Any]:
    """As `litfeed links`: `{"pmid", "links": [{"kind", "url", "label", "open_access", …}],
    "institution"}`, best first, with the caller's institution when signed in. 404 for a PMID
    that is not stored."""
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")
    return finder(request.app).links_json(pmid, auth.user if auth else None)


@router.get("/institutions")
def list_institutions(auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Every institution (any signed-in reader: they pick theirs from this list)."""
    return {"institutions": [i.to_json() for i in institutions.list_institutions(store)]}


@router.post("/institutions", status_code=201, tags=["admin"])
def add_institution(body: InstitutionBody, auth: AdminUser, store: StoreDep) -> dict[str, Any]:
    """Add an institution (administrators only). Every field is validated: 400 with the field
    named, 409 if the name is taken."""
    return institutions.add_institution(store, body.institution()).to_json()


@router.get("/institutions/{institution_id}")
def get_institution(institution_id: RowId, auth: CurrentUser, store: StoreDep
                    ) -> dict[str, Any]:
    return institutions.get_institution(store, institution_id).to_json()


@router.put("/institutions/{institution_id}", tags=["admin"])
def update_institution(institution_id: RowId, body: InstitutionBody, auth: AdminUser,
                       store: StoreDep) -> dict[str, Any]:
    """Replace an institution's fields (administrators only)."""
    return institutions.update_institution(store, institution_id, body.institution()).to_json()


@router.delete("/institutions/{institution_id}", status_code=204, tags=["admin"])
def remove_institution(institution_id: RowId, auth: AdminUser, store: StoreDep) -> Response:
    """Remove an institution (administrators only); its readers fall back to their email
    domain."""
    institutions.remove_institution(store, institution_id)
    return Response(status_code=204)


@router.get("/me/settings", tags=["account"])
def my_settings(auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """`{"institution": id | "none" | null, "effective_institution", "institution_source"}`:
    the stored choice (null = from my email domain), the institution that applies, and why
    (`chosen`, `email` or `none`)."""
    return institutions.reader_institution(store, auth.user).to_json()


@router.put("/me/settings", tags=["account"])
def change_my_settings(body: SettingsBody, auth: CurrentUser, store: StoreDep
                       ) -> dict[str, Any]:
    """Change the keys sent; answers like GET. 404 for an unknown institution."""
    if "institution" in body.model_fields_set:
        return institutions.set_reader_institution(store, auth.user, body.institution).to_json()
    return institutions.reader_institution(store, auth.user).to_json()
