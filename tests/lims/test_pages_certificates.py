"""Certificate pages: list, detail with documents, revoke/replace, sticker sheets, per role and organisation."""
import pytest

from tests.lims.test_issuance_support import issue, keyed_app  # noqa: F401  (fixture)
from tests.lims.test_pages_support import csrf_of, field_error, login, post_form, text_of


@pytest.fixture
def certs(keyed_app, api, world):
    """Certificates of market_a (valid) and hospital_a (failure notice)."""
    notes = "R: item=示值 120 mmHg; item_en=Indication; nominal=120; measured=125; mpe=3; unit=mmHg; result=fail"
    return {"market_a": issue(api, world, "market_a"),
            "hospital_a": issue(api, world, "hospital_a", result="fail", notes=notes)}


@pytest.mark.parametrize("role,visible", [("admin", {"market_a", "hospital_a"}),
                                          ("lab_manager", {"market_a", "hospital_a"}),
                                          ("technician", {"market_a", "hospital_a"}),
                                          ("market_manager", {"market_a"}),
                                          ("equipment_officer", {"hospital_a"})])
def test_list_is_scoped_and_shows_status(client, certs, role, visible):
    login(client, role)
    page = text_of(client.get("/certificates"))
    for key, cert in certs.items():
        assert (cert["number"] in page) == (key in visible)
    assert f"{len(visible)} certificates" in page
    if "hospital_a" in visible:
        assert "cert-failed" in page
    if "market_a" in visible:
        assert "cert-valid" in page


def test_list_filters_by_status_and_number(client, certs):
    login(client, "technician")
    page = text_of(client.get("/certificates?status=failed"))
    assert certs["hospital_a"]["number"] in page and certs["market_a"]["number"] not in page
    page = text_of(client.get(f"/certificates?q={certs['market_a']['number']}"))
    assert "1 certificates" in page
    page = text_of(client.get("/certificates?q=market_a-0"))
    assert certs["market_a"]["number"] in page and certs["hospital_a"]["number"] not in page


@pytest.mark.parametrize("role,own,other", [("market_manager", "market_a", "hospital_a"),
                                            ("equipment_officer", "hospital_a", "market_a")])
def test_customers_open_their_own_certificates_only(client, certs, role, own, other):
    login(client, role)
    assert client.get(f"/certificates/{certs[other]['id']}").status_code == 403
    assert client.get(f"/certificates/{certs[other]['id']}/pdf").status_code == 404  # no such page route
    assert client.get(f"/api/v1/certificates/{certs[other]['id']}/pdf").status_code == 403
    assert client.get(f"/certificates/stickers?ids={certs[other]['id']}").status_code == 403
    r = client.get(f"/certificates/{certs[own]['id']}")
    page = text_of(r)
    assert r.status_code == 200 and 'id="revoke-form"' not in page and 'id="replace-form"' not in page
    for link in ("pdf-link", "dcc-link", "check-link", "stickers-link"):
        assert f'id="{link}"' in page
    assert client.get(f"/api/v1/certificates/{certs[own]['id']}/pdf").mimetype == "application/pdf"
    assert client.get(f"/api/v1/certificates/{certs[own]['id']}/dcc").mimetype == "application/xml"
    assert client.get("/certificates/999999").status_code == 404


def test_detail_links_to_documents_and_the_check_page(client, certs):
    login(client, "lab_manager")
    cert = certs["market_a"]
    page = text_of(client.get(f"/certificates/{cert['id']}"))
    assert cert["url"] in page and f"valid until {cert['due_date']}" in page
    token = cert["url"].rsplit("/", 1)[1]
    assert f'id="check-link" href="/V/{token}"' in page
    check = text_of(client.get(f"/v/{token}"))
    assert 'data-verdict="valid"' in check
    r = client.get(f"/certificates/stickers?ids={cert['id']}")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")


def test_sticker_sheet_of_a_selection_and_bad_selections(client, certs):
    login(client, "technician")
    ids = [certs["market_a"]["id"], certs["hospital_a"]["id"]]
    r = client.get("/certificates/stickers", query_string={"ids": ids})
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    r = client.get("/certificates/stickers")
    assert r.status_code == 422 and "at least one" in field_error(r, "ids")
    r = client.get("/certificates/stickers?ids=abc")
    assert r.status_code == 422 and field_error(r, "ids")
    r = client.get("/certificates/stickers", query_string={"ids": [ids[0], ids[0]]})
    assert r.status_code == 422
    assert client.get("/certificates/stickers?ids=999999").status_code == 404


def test_revoke_needs_a_reason_and_a_lab_manager(client, app, certs):
    cert = certs["market_a"]
    url, action = f"/certificates/{cert['id']}", f"/certificates/{cert['id']}/revoke"
    tech = app.test_client()
    login(tech, "technician")
    assert post_form(tech, url, action, {"reason": "x"}, prefix="revoke").status_code == 403
    login(client, "lab_manager")
    assert client.post(action, data={"revoke-reason": "no token"}).status_code == 400
    r = post_form(client, url, action, {"reason": "   "}, prefix="revoke")
    assert r.status_code == 422 and field_error(r, "revoke-reason")
    r = post_form(client, url, action, {"reason": "砝码证书有误 wrong weights certificate"}, prefix="revoke")
    assert r.status_code == 302
    page = text_of(client.get(url))
    assert 'data-status="revoked"' in page and "wrong weights certificate" in page
    assert 'id="revoke-form"' not in page
    r = post_form(client, url, action, {"reason": "again"}, prefix="revoke")
    assert r.status_code == 409 and "already revoked" in text_of(r)
    token = cert["url"].rsplit("/", 1)[1]
    assert 'data-verdict="revoked"' in text_of(client.get(f"/v/{token}"))


def test_replace_issues_a_new_certificate_and_links_both(client, certs):
    old = certs["market_a"]
    url, action = f"/certificates/{old['id']}", f"/certificates/{old['id']}/replace"
    login(client, "lab_manager")
    r = post_form(client, url, action, {"reason": "", "amendment": "amended"}, prefix="replace")
    assert r.status_code == 422 and field_error(r, "replace-reason")
    r = post_form(client, url, action, {"reason": "x", "amendment": "forged"}, prefix="replace")
    assert r.status_code == 422 and field_error(r, "replace-amendment")
    r = post_form(client, url, action, {"reason": "地点更正 location corrected", "amendment": "amended",
                                        "remarks": "更正版 corrected edition"}, prefix="replace")
    assert r.status_code == 302
    new_page = text_of(client.get(r.headers["Location"]))
    assert old["number"] in new_page and "Revision" in new_page
    old_page = text_of(client.get(url))
    assert 'data-status="replaced"' in old_page and 'id="replaced-by"' in old_page


def test_customer_cannot_revoke(client, certs):
    login(client, "market_manager")
    page = client.get(f"/certificates/{certs['market_a']['id']}").get_data(as_text=True)
    r = client.post(f"/certificates/{certs['market_a']['id']}/revoke",
                    data={"revoke-csrf_token": csrf_of(page), "revoke-reason": "mine"})
    assert r.status_code == 403


def test_certificate_pages_in_chinese(client, certs):
    login(client, "lab_manager", lang="zh")
    page = text_of(client.get("/certificates"))
    assert "证书" in page and "有效" in page and "检定结果通知书" in page
    page = text_of(client.get(f"/certificates/{certs['market_a']['id']}"))
    assert "合格，有效期至" in page and "撤销证书" in page
