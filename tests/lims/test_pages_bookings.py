"""Booking a batch: every instrument matching the filter (all pages), cancel a booking, the delivery note;
a batch's page (its delivery note with QR codes drawn by the app), received or cancelled whole."""
import base64
import io
import re

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD
from tests.lims.test_pages_support import csrf_of, field_error, job_version, login, post_form, step, text_of


def qr_images(page):
    """``{alt text: decoded QR text}`` of every inlined PNG QR code of ``page``, read with zxing-cpp."""
    import zxingcpp
    from PIL import Image

    out = {}
    for src, alt in re.findall(r'<img class="qr" src="data:image/png;base64,([^"]+)" alt="([^"]*)">', page):
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(src))), formats=zxingcpp.QRCode)
        out[alt] = found[0].text if found else None
    return out


def book_all(client, **filters):
    page = client.get("/instruments", query_string=filters).get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "all_matching": "1", **{f"filter_{k}": v for k, v in filters.items()}}
    return client.post("/instruments/book", data=data)


def jobs_total(client):
    return int(re.search(r"(\d+) jobs", text_of(client.get("/jobs?lang=en"))).group(1))


def test_book_every_instrument_matching_the_filter(app, world):
    client = login(app.test_client(), "market_manager")
    r = book_all(client, q="market_a-1")
    assert r.status_code == 302 and jobs_total(client) == 2


def test_a_refused_batch_names_the_serial_and_keeps_the_selection(app, world):
    client = login(app.test_client(), "market_manager")
    r = book_all(client, status="never_verified")  # market_a-0 is already booked
    assert r.status_code == 409 and "market_a-0" in text_of(r)
    ticked = re.findall(r'name="instrument_ids" value="(\d+)" checked', r.get_data(as_text=True))
    assert sorted(map(int, ticked)) == sorted([world.instruments["market_a_0"], world.instruments["market_a_1"]])
    assert jobs_total(client) == 1


def test_a_booking_is_cancelled_before_the_lab_receives_it(app, world):
    job = world.jobs["market_a"]
    other = login(app.test_client(), "market_manager_b")
    r = post_form(other, "/profile", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 403
    client = login(app.test_client(), "market_manager")
    r = post_form(client, f"/jobs/{job}", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 302
    page = text_of(client.get("/jobs?lang=en"))
    assert "Booking of market_a-0 cancelled." in page and "0 jobs" in page
    admin = login(app.test_client(), "lab_manager")
    page = text_of(admin.get(f"/audit?entity=Job&entity_id={job}&lang=en"))
    assert "deleted" in page and "market_manager" in page

    job = world.jobs["market_b"]
    tech = login(app.test_client(), "technician")
    assert step(tech, app, job, "receive").status_code == 302
    client = login(app.test_client(), "market_manager_b")
    r = post_form(client, f"/jobs/{job}", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 302
    assert "not received yet" in text_of(client.get(f"/jobs/{job}?lang=en"))
    assert jobs_total(client) == 1


def test_delivery_note_lists_own_booked_instruments_with_a_label_each(app, world):
    client = login(app.test_client(), "equipment_officer")
    page = text_of(client.get("/bookings/delivery-note"))
    assert "hospital_a-0" in page and "hospital_b-0" not in page and "market_a-0" not in page
    assert qr_images(page) == {"QR code of the job of hospital_a-0": f"http://localhost/jobs/{world.jobs['hospital_a']}"}
    lab = login(app.test_client(), "technician")
    page = text_of(lab.get("/bookings/delivery-note"))
    assert len(qr_images(page)) == 4 and None not in qr_images(page).values()


def test_the_lab_receives_a_whole_batch_at_once(app, world):
    jobs = [world.jobs[k] for k in ("market_a", "hospital_a")]
    customer = login(app.test_client(), "market_manager")
    page = customer.get("/jobs").get_data(as_text=True)
    assert customer.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs}).status_code == 403
    lab = login(app.test_client(), "technician")
    page = lab.get("/jobs?state=booked").get_data(as_text=True)
    assert 'id="receive-ticked"' in page
    r = lab.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs})
    assert r.status_code == 302
    page = text_of(lab.get("/jobs?state=received&lang=en"))
    assert "2 instruments received." in page and "2 jobs" in page
    r = lab.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs + [world.jobs["market_b"]]})
    page = text_of(lab.get("/jobs?state=received&lang=en"))
    refused = "Nothing was received: these are not waiting to be received: hospital_a-0, market_a-0"
    assert refused in page and "2 jobs" in page  # all or none


def book_page(client, *ids, lang="en"):
    page = client.get(f"/instruments?lang={lang}").get_data(as_text=True)
    return client.post("/instruments/book", data={"csrf_token": csrf_of(page), "instrument_ids": list(ids),
                                                  "booked_for": "2030-01-07"})


def batch_id_of(response):
    return int(re.search(r"/batches/(\d+)$", response.location).group(1))


def test_a_booking_opens_its_batch_delivery_note_with_codes_the_lab_can_scan(app, world):
    client = login(app.test_client(), "equipment_officer")
    r = book_page(client, world.instruments["hospital_a_1"])
    assert r.status_code == 302 and "/batches/" in r.location
    bid = batch_id_of(r)
    page = text_of(client.get(f"/batches/{bid}"))
    number = f"B-{bid:06d}"
    assert number in page and "hospital_a-1" in page and "hospital_a org" in page and "2030-01-07" in page
    codes = qr_images(page)
    assert codes[f"QR code of batch {number}"] == f"http://localhost/batches/{bid}"
    assert re.fullmatch(r"http://localhost/jobs/\d+", codes["QR code of the job of hospital_a-1"])
    assert 'id="cancel-batch"' in page and 'id="receive-batch"' not in page
    assert number in text_of(client.get("/batches"))
    job = int(codes["QR code of the job of hospital_a-1"].rsplit("/", 1)[1])
    assert number in text_of(client.get(f"/jobs/{job}"))
    # another organisation: neither the page nor the list
    other = login(app.test_client(), "equipment_officer_b")
    assert other.get(f"/batches/{bid}").status_code == 403
    assert number not in text_of(other.get("/batches"))


def test_the_lab_scans_a_batch_code_and_receives_it_all_at_once(app, world):
    client = login(app.test_client(), "market_manager")
    bid = batch_id_of(book_page(client, world.instruments["market_a_1"]))
    number = f"B-{bid:06d}"
    assert client.post("/batches/scan", data={"csrf_token": csrf_of(client.get("/batches").get_data(as_text=True)),
                                              "code": number, "receive": "1"}).status_code == 403
    lab = login(app.test_client(), "technician", lang="zh")
    page = lab.get("/batches").get_data(as_text=True)
    assert 'id="scan-form"' in page
    r = lab.post("/batches/scan", data={"csrf_token": csrf_of(page), "code": "B-999999", "receive": "1"})
    assert r.status_code == 422 and "没有这个批次号" in field_error(r, "code")
    r = lab.post("/batches/scan", data={"csrf_token": csrf_of(page), "code": "", "open": "1"})
    assert r.status_code == 422 and field_error(r, "code")
    r = lab.post("/batches/scan", data={"csrf_token": csrf_of(page), "code": f"http://localhost/batches/{bid}",
                                        "open": "1"})
    assert r.status_code == 302 and r.location.endswith(f"/batches/{bid}")
    r = lab.post("/batches/scan", data={"csrf_token": csrf_of(page), "code": number.lower(), "receive": "1"})
    assert r.status_code == 302
    page = text_of(lab.get(f"/batches/{bid}"))
    assert f"批次 {number} 已接收。" in page and 'data-state="received"' in page  # flashed in the scanner's language
    assert 'id="receive-batch"' not in page and 'id="cancel-batch"' not in page
    # a second scan is refused, saying when and by whom, beside the field, in Chinese
    r = lab.post("/batches/scan", data={"csrf_token": csrf_of(page), "code": number, "receive": "1"})
    assert r.status_code == 409 and f"批次 {number} 已于" in field_error(r, "code") and "technician" in field_error(
        r, "code")
    assert "market_a-1" in text_of(lab.get("/jobs?state=received&lang=en"))


def test_a_whole_batch_is_cancelled_by_its_owner_and_received_batches_refuse(app, world):
    client = login(app.test_client(), "market_manager")
    bid = batch_id_of(book_page(client, world.instruments["market_a_1"]))
    version = 1
    other = login(app.test_client(), "market_manager_b")
    r = post_form(other, "/batches", f"/batches/{bid}/cancel", {"version": version})
    assert r.status_code == 403
    r = post_form(client, f"/batches/{bid}", f"/batches/{bid}/cancel", {"version": version})
    assert r.status_code == 302
    page = text_of(client.get(f"/batches/{bid}?lang=zh"))
    assert "已取消" in page and "预约已取消" in page and "market_a-1" in page
    manager = login(app.test_client(), "lab_manager", lang="zh")
    page = text_of(manager.get(f"/audit?entity=Batch&entity_id={bid}"))
    assert "批次" in page and "取消人" in page and "market_manager" in page  # the trail names it as people do
    lab = login(app.test_client(), "technician", lang="zh")
    r = post_form(lab, f"/batches/{bid}", f"/batches/{bid}/receive", {"version": 2})
    assert r.status_code == 409 and "已于" in text_of(r) and "取消" in text_of(r)
    r = post_form(lab, f"/batches/{bid}", f"/batches/{bid}/receive", {"version": "x"})
    assert r.status_code == 422
    # the instrument is free again; a job cancelled one by one cancels its one-job batch
    bid = batch_id_of(book_page(client, world.instruments["market_a_1"]))
    job = int(re.search(r'data-job="(\d+)"', client.get(f"/batches/{bid}").get_data(as_text=True)).group(1))
    r = post_form(client, f"/jobs/{job}", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 302
    assert 'data-state="cancelled"' in client.get(f"/batches/{bid}").get_data(as_text=True)


@BROWSER_MARKS[0]
@BROWSER_MARKS[1]
def test_book_print_the_delivery_note_and_the_lab_scans_it_to_receive_the_batch(browser, app, world):
    """An equipment officer books on a phone; the lab decodes the printed batch code and receives it all."""
    import zxingcpp
    from PIL import Image

    server = serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        officer = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
        log_in(officer, base, "equipment_officer")
        officer.goto(f"{base}/instruments")
        officer.check(f"input[name=instrument_ids][value='{world.instruments['hospital_a_1']}']")
        officer.click("#go")
        officer.wait_for_url(re.compile(r".*/batches/\d+$"))
        number = officer.inner_text("#batch-number")
        assert officer.get_attribute("#batch-state", "data-state") == "booked"
        assert "hospital_a-1" in officer.inner_text("#batch-items")
        # the batch code as the browser drew it (a screenshot of the image), read by a real decoder
        shot = officer.locator("#batch-code img").screenshot()
        [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)), formats=zxingcpp.QRCode)
        assert code.text == officer.url
        label = officer.locator("#batch-items img.qr").first.screenshot()
        [job_code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(label)), formats=zxingcpp.QRCode)
        assert re.fullmatch(rf"{re.escape(base)}/jobs/\d+", job_code.text)
        officer.context.close()

        lab = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
        log_in(lab, base, "technician")
        lab.goto(code.text)  # what a phone's camera opens
        lab.click("#receive-batch")
        assert lab.get_attribute("#batch-state", "data-state") == "received"
        lab.goto(job_code.text)
        assert lab.get_attribute("#job-state", "data-state") == "received"
        # a hand scanner types the number into the scan box: the batch was received already
        lab.goto(f"{base}/batches")
        lab.fill("#code", number)
        lab.click("#scan-receive")
        assert "已于" in lab.inner_text("#code-error") and number in lab.inner_text("#code-error")
        lab.context.close()
    finally:
        server.shutdown()


def log_in(page, base, username):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/instruments.*"))
