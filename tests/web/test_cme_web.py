"""CME through the web: the JSON API of the contract, the claim block on a paper reached from
a real search, the /cme page and its forms, the transcript downloads, the admin's rules, and
that one reader can never see or touch another reader's log."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from webhelpers import PASSWORD, csrf_of, sign_up

from litfeed.config import Settings
from litfeed.service import accounts
from litfeed.service import search as search_service
from litfeed.store import Store

CYCLE = {"question": "Does CBT add to an SSRI?", "query": "psychotherapy",
         "sources": ["100", "102"], "application": "changed",
         "application_text": "Refer for CBT at the first visit."}


def post_form(client: TestClient, url: str, page: str, data: dict[str, Any]) -> str:
    token = csrf_of(client.get(page).text)
    r = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return r.headers["location"]


def test_posting_a_complete_cycle_answers_201_with_its_credits(
        client: TestClient, reader: dict[str, Any]) -> None:
    r = client.post("/api/cme/activities", json=CYCLE)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["status"], made["credits"], made["sources"], made["application"]) == (
        "completed", 0.5, ["100", "102"], "changed")
    assert made["completed_at"] and made["locked"] is False
    assert "pending provider approval" in made["credit_type"]
    listed = client.get("/api/cme/activities").json()
    assert [a["id"] for a in listed["activities"]] == [made["id"]]
    assert set(listed["activities"][0]) >= {"id", "question", "sources", "application",
                                            "credits", "completed_at"}
    [total] = listed["totals"]
    assert (total["activities"], total["credits"]) == (1, 0.5)


def test_an_incomplete_cycle_is_422_and_drafts_are_separate(
        client: TestClient, reader: dict[str, Any]) -> None:
    for lacking in ("question", "sources", "application"):
        r = client.post("/api/cme/activities",
                        json={k: v for k, v in CYCLE.items() if k != lacking})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "incomplete" and lacking[:6] in r.json()["message"]
    assert client.post("/api/cme/activities", json={**CYCLE, "application": "maybe"}
                       ).status_code == 422
    assert client.post("/api/cme/activities", json={**CYCLE, "sources": ["999"]}
                       ).status_code == 400
    assert client.get("/api/cme/activities").json()["activities"] == []
    draft = client.post("/api/cme/drafts", json={"question": "Half a thought?"})
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    draft_id = draft.json()["id"]
    assert client.post(f"/api/cme/drafts/{draft_id}/complete").status_code == 422
    r = client.patch(f"/api/cme/drafts/{draft_id}", json={"sources": ["100"]})
    assert r.json()["sources"] == ["100"] and r.json()["status"] == "draft"
    r = client.post(f"/api/cme/drafts/{draft_id}/complete", json={"application": "confirmed"})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert r.json()["question"] == "Half a thought?"
    assert client.delete(f"/api/cme/drafts/{draft_id}").status_code == 409
    assert client.get("/api/cme/drafts").json() == {"drafts": []}
    actions = [a["action"] for a in client.get(f"/api/cme/activities/{draft_id}/audit"
                                               ).json()["audit"]]
    assert actions == ["draft", "update", "complete"]


def test_editing_within_the_window_is_audited(client: TestClient,
                                              reader: dict[str, Any]) -> None:
    made = client.post("/api/cme/activities", json=CYCLE).json()
    r = client.patch(f"/api/cme/activities/{made['id']}", json={"application": "confirmed"})
    assert r.status_code == 200 and r.json()["application"] == "confirmed"
    assert r.json()["credits"] == made["credits"]
    assert client.patch(f"/api/cme/activities/{made['id']}", json={"sources": []}
                        ).status_code == 422
    audit = client.get(f"/api/cme/activities/{made['id']}/audit").json()["audit"]
    assert [(a["action"], (a["after"] or {}).get("application")) for a in audit] == [
        ("complete", "changed"), ("edit", "confirmed")]


def test_another_reader_gets_404_for_every_cycle_route(
        client: TestClient, new_client: Any, reader: dict[str, Any]) -> None:
    made = client.post("/api/cme/activities", json=CYCLE).json()
    draft = client.post("/api/cme/drafts", json={"question": "Mine?"}).json()
    other = new_client()
    sign_up(other, "other@example.org")
    assert other.get("/api/cme/activities").json()["activities"] == []
    assert other.get("/api/cme/drafts").json()["drafts"] == []
    for method, url, body in (
            ("GET", f"/api/cme/activities/{made['id']}", None),
            ("PATCH", f"/api/cme/activities/{made['id']}", {"question": "Stolen?"}),
            ("GET", f"/api/cme/activities/{made['id']}/audit", None),
            ("PATCH", f"/api/cme/drafts/{draft['id']}", {"question": "Stolen?"}),
            ("POST", f"/api/cme/drafts/{draft['id']}/complete", CYCLE),
            ("DELETE", f"/api/cme/drafts/{draft['id']}", None)):
        r = other.request(method, url, json=body)
        assert r.status_code == 404, (method, url, r.status_code)
    assert other.post(f"/cme/activities/{made['id']}/edit",
                      data={"csrf_token": csrf_of(other.get("/cme").text),
                            "question": "Stolen?"}).status_code == 404
    assert "Mine?" not in other.get("/cme").text and CYCLE["question"] not in other.get(
        "/cme").text
    transcript = other.get("/api/cme/transcript", params={"format": "csv"}).text
    assert CYCLE["question"] not in transcript
    assert client.get(f"/api/cme/activities/{made['id']}").json()["question"] == CYCLE[
        "question"]
    anonymous = new_client()
    assert anonymous.get("/api/cme/activities").status_code == 401
    assert anonymous.post("/api/cme/activities", json=CYCLE).status_code == 401


def test_claiming_from_a_real_search_prefills_the_papers_opened(
        client: TestClient, reader: dict[str, Any], store: Store,
        web_settings: Settings) -> None:
    search_service.refresh(store, web_settings)
    with search_service.open_index(web_settings) as index:
        found = search_service.search(
            store, index, search_service.SearchRequest(query="psychotherapy[ti] OR review[ti]"))
    hits = [h["pmid"] for h in found["results"]]
    assert sorted(hits) == ["100", "102"]
    assert "Claim CME for this search" not in client.get(f"/papers/{hits[0]}").text
    for pmid in hits:  # the search page links results with ?from_q=
        page = client.get(f"/papers/{pmid}", params={"from_q": "psychotherapy[ti] OR review[ti]"})
        assert page.status_code == 200
    html = page.text
    assert "Claim CME for this search" in html
    ticked = re.findall(r'name="source" value="(\d+)" checked', html)
    assert ticked == hits  # in the order they were opened
    assert client.get("/api/cme/recent", params={"q": "psychotherapy[ti] OR review[ti]"}).json()[
        "sources"][0]["pmid"] == hits[0]
    target = post_form(client, "/cme/activities",
                       f"/papers/{hits[-1]}?from_q=psychotherapy%5Bti%5D+OR+review%5Bti%5D", {
                           "question": "Is psychotherapy worth adding?",
                           "query": "psychotherapy[ti] OR review[ti]", "source": hits,
                           "application": "confirmed", "action": "complete"})
    assert target.startswith("/cme?done=")
    [made] = client.get("/api/cme/activities").json()["activities"]
    assert (made["query"], made["sources"], made["credits"]) == (
        "psychotherapy[ti] OR review[ti]", hits, 0.5)
    assert "Is psychotherapy worth adding?" in client.get("/cme").text


def test_an_incomplete_claim_from_the_page_is_kept_as_a_draft(
        client: TestClient, reader: dict[str, Any]) -> None:
    client.get("/papers/100", params={"from_q": "depression"})
    target = post_form(client, "/cme/activities", "/papers/100?from_q=depression", {
        "query": "depression", "source": ["100"], "action": "complete"})
    assert target.startswith("/cme?draft=") and "missing=question%2Capplication" in target
    [draft] = client.get("/api/cme/drafts").json()["drafts"]
    assert (draft["query"], draft["sources"]) == ("depression", ["100"])
    page = client.get("/papers/100", params={"from_q": "depression"}).text
    assert f'name="draft_id" value="{draft["id"]}"' in page  # the block continues the draft
    html = client.get(target).text
    assert "Saved as a draft" in html and "still needed: question, application" in html


def test_the_cme_page_lists_recent_reading_and_starts_drafts(
        client: TestClient, reader: dict[str, Any]) -> None:
    client.get("/papers/102", params={"from_q": "reviews"})
    client.get("/papers/101")
    html = client.get("/cme").text
    assert "CME log" in html and "“reviews”" in html and "Reading without a search" in html
    assert "self-reported" in html
    target = post_form(client, "/cme/drafts", "/cme", {"query": "reviews"})
    assert target.startswith("/cme?draft=")
    [draft] = client.get("/api/cme/drafts").json()["drafts"]
    assert draft["sources"] == ["102"]
    post_form(client, "/cme/timezone", "/cme", {"timezone": "America/New_York"})
    assert "now America/New_York" in client.get("/cme").text
    assert client.post("/cme/timezone", data={"csrf_token": csrf_of(client.get("/cme").text),
                                              "timezone": "Nowhere/Town"}).status_code == 400


def test_personal_cme_pages_need_a_reader(new_client: Any) -> None:
    anonymous = new_client()
    r = anonymous.get("/cme", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert "Claim CME" not in anonymous.get("/papers/100", params={"from_q": "x"}).text


def test_transcript_downloads(client: TestClient, reader: dict[str, Any]) -> None:
    client.post("/api/cme/activities", json=CYCLE)
    pdf = client.get("/api/cme/transcript", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers[
        "content-disposition"] == 'attachment; filename="litfeed-cme-transcript-all.pdf"'
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert CYCLE["question"] in text and "reader@example.org" in text
    csv_file = client.get("/api/cme/transcript", params={"format": "csv", "year": 2020})
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.lstrip("\ufeff").startswith("activity_id,date,")
    assert len(csv_file.text.strip().splitlines()) == 1  # no cycle in 2020
    assert client.get("/api/cme/transcript", params={"format": "docx"}).status_code == 422


def test_only_admins_set_the_credit_rules(client: TestClient, reader: dict[str, Any],
                                          new_client: Any, store: Store,
                                          web_settings: Settings) -> None:
    assert client.get("/admin/cme").status_code == 403
    assert client.put("/api/admin/cme/settings", json={"credit_per_cycle": 2}
                      ).status_code == 403
    accounts.register(store, web_settings, email="office@example.org", password=PASSWORD,
                      is_admin=True, by_admin=True)
    admin = new_client()
    admin.post("/api/auth/login", json={"email": "office@example.org", "password": PASSWORD})
    r = admin.put("/api/admin/cme/settings", json={"credit_per_cycle": "0.25",
                                                  "yearly_cap": 20})
    assert r.status_code == 200 and (r.json()["credit_per_cycle"], r.json()["yearly_cap"]) == (
        0.25, 20.0)
    assert admin.put("/api/admin/cme/settings", json={"credit_per_cycle": "-1"}
                     ).status_code == 400
    assert post_form(admin, "/admin/cme", "/admin/cme", {
        "credit_per_cycle": "0.5", "credit_type": "AMA PRA Category 1 Credit™",
        "yearly_cap": "", "provider_name": "St Elsewhere CME",
        "accreditation_statement": "St Elsewhere is accredited by the ACCME.",
        "draft_days": "7", "edit_hours": "24"}) == "/admin/cme?saved=1"
    rules = admin.get("/api/admin/cme/settings").json()
    assert rules["accredited"] and rules["yearly_cap"] is None
    made = client.post("/api/cme/activities", json=CYCLE).json()
    assert (made["credits"], made["credit_type"]) == (0.5, "AMA PRA Category 1 Credit™")
    bad = admin.post("/admin/cme", data={"csrf_token": csrf_of(admin.get("/admin/cme").text),
                                         "credit_per_cycle": "lots"})
    assert bad.status_code == 400 and "not a number" in bad.text
