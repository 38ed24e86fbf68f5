"""The job page's test-point table: planned points, entering indications, verdicts, errors beside fields."""
import re

from tests.lims.test_pages_support import csrf_of, field_error, login, step, text_of


def _start(client, app, world, key="market_a"):
    job = world.jobs[key]
    assert step(client, app, job, "receive").status_code == 302
    assert step(client, app, job, "start", bench_id=world.benches["good"]).status_code == 302
    return job


def _save(client, job, index, point, **fields):
    token = csrf_of(client.get(f"/jobs/{job}").get_data(as_text=True))
    body = {f"p{index}-csrf_token": token, "prefix": f"p{index}", f"p{index}-point": point,
            **{f"p{index}-{k}": v for k, v in fields.items()}}
    return client.post(f"/jobs/{job}/points", data=body)


def test_technician_enters_points_and_sees_errors_and_verdicts(client, app, world):
    login(client, "technician")
    job = _start(client, app, world)
    page = text_of(client.get(f"/jobs/{job}"))
    # 5 loads up, 4 down, repeatability and eccentricity, 4 limit items
    assert 'id="points"' in page and "±15 g" in page and page.count('class="point-form"') == 15
    assert 'name="p4-flash_delta"' in page and "JJG 539-2016" in page
    r = _save(client, job, 4, "30000 g", indication="30010", flash_delta="2", zero_error="1")
    assert r.status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    row = re.search(r'<tr data-point="30000 g" data-verdict="pass">(.*?)</tr>', page, re.S).group(1)
    assert "30010 (ΔL 2, E0 1)" in row and ">12 g</td>" in row  # 30010 + 0.5·10 − 2 − 30000 − 1
    assert _save(client, job, 2, "15000 g", indication="15011").status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'data-point="15000 g" data-verdict="fail"' in page and "failing points: 15000 g" in page
    assert "3 values, separated by spaces" in page and 'name="p9-flash_delta"' not in page
    assert _save(client, job, 9, "repeatability 15000 g", indication="15000 15005; 15008").status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    row = re.search(r'<tr data-point="repeatability 15000 g" data-verdict="pass">(.*?)</tr>', page, re.S).group(1)
    assert "15000, 15005, 15008" in row and "spread 8 g" in row
    r = _save(client, job, 10, "eccentricity 10000 g", indication="10000 x 10000 10000")
    assert r.status_code == 422 and field_error(r, "p10-indication")
    r = _save(client, job, 10, "eccentricity 10000 g", indication="10000 10000")
    assert r.status_code == 422 and "4 indications" in field_error(r, "p10-indication")


def test_bad_input_shows_beside_the_field(client, app, world):
    login(client, "technician")
    job = _start(client, app, world)
    r = _save(client, job, 1, "5000 g", indication="abc")
    assert r.status_code == 422 and field_error(r, "p1-indication")
    r = _save(client, job, 1, "5000 g", indication="5000", flash_delta="50")
    assert r.status_code == 422 and "between 0 and e" in field_error(r, "p1-flash_delta")
    r = _save(client, job, 1, "5000 g", indication="")
    assert r.status_code == 422 and field_error(r, "p1-indication")


def test_customers_see_the_table_without_forms_and_cannot_post(client, app, world):
    login(client, "technician")
    job = _start(client, app, world)
    assert _save(client, job, 0, "200 g", indication="200").status_code == 302
    client = app.test_client()
    login(client, "market_manager")
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'data-point="200 g" data-verdict="pass"' in page and 'class="point-form"' not in page
    assert _save(client, job, 0, "200 g", indication="201").status_code == 403


def test_chinese_page(client, app, world):
    login(client, "technician", lang="zh")
    job = _start(client, app, world, "hospital_a")
    page = text_of(client.get(f"/jobs/{job}"))
    assert "检定点" in page and "静态压力示值误差 150 mmHg" in page and "±4 mmHg" in page
    assert 'name="p0-flash_delta"' not in page  # not a scale


def test_no_table_without_a_procedure_or_forms_after_submission(client, app, world):
    login(client, "technician")
    job = _start(client, app, world)
    r = step(client, app, job, "submit", result="pass")
    assert r.status_code == 409 and "not measured yet" in text_of(r)
    assert step(client, app, job, "submit", result="fail", notes="the seal is broken").status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'id="points"' in page and 'class="point-form"' not in page
    assert _save(client, job, 0, "200 g", indication="200").status_code == 409


def test_submitting_against_the_judged_result_is_refused_on_the_page(client, app, world):
    login(client, "technician")
    job = _start(client, app, world)
    assert _save(client, job, 1, "5000 g", indication="5020").status_code == 302
    r = step(client, app, job, "submit", result="pass")
    assert r.status_code == 409 and "5000 g" in text_of(r) and "exceed the MPE" in text_of(r)
    assert step(client, app, job, "submit", result="fail").status_code == 302


def test_the_table_shows_a_bench_standards_calibrated_value(client, app, world):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    with app.app_context():
        db.session.get(ReferenceStandard, world.standards["good"]).values = [
            {"nominal": "5 kg", "value": 5000.12, "U": 0.08, "k": 2, "unit": "g"}]
        db.session.commit()
    login(client, "technician")
    job = _start(client, app, world)
    assert "L = 5000.12 (W-1)" in text_of(client.get(f"/jobs/{job}"))
