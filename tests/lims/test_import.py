"""CSV import of an instrument register: every row validated, all or nothing stored."""
import io

from click.testing import CliRunner

HEADER = "type_code,manufacturer,model,serial_number,location,max,min,e,d,accuracy_class\n"


def _rows(n, bad_at=None):
    lines = []
    for i in range(n):
        e, d = ("3", "1") if i == bad_at else ("5", "5")
        lines.append(f"scale.price_computing,友声,TCS-15,SN{i:05d},{i} 号摊位,15000,100,{e},{d},III")
    return HEADER + "\n".join(lines) + "\n"


def _count(api):
    return api("get", "/api/v1/instruments?per_page=1", role="market_manager").json["total"]


def _post(api, text, role="market_manager"):
    return api("post", "/api/v1/instruments/import", role=role,
               data={"file": (io.BytesIO(text.encode()), "r.csv")}, content_type="multipart/form-data")


def test_one_bad_row_among_1000_stores_nothing_and_names_the_row(api):
    before = _count(api)
    resp = _post(api, _rows(1000, bad_at=637))
    assert resp.status_code == 422
    assert resp.json["errors"]["rows"] == [
        {"row": 639, "column": "e", "problem": "must be 1, 2 or 5 × 10^k (R 76-1 3.1.2)"}]
    assert _count(api) == before


def test_1000_good_rows_are_all_stored(api):
    before = _count(api)
    resp = _post(api, _rows(1000))
    assert resp.status_code == 201 and resp.json == {"created": 1000}
    assert _count(api) == before + 1000


def test_row_level_problems_are_each_reported(api):
    text = HEADER + ("nope.type,A,B,S1,x,1,1,1,1,III\n"
                     "scale.price_computing,A,B,,x,15000,100,5,5,III\n"
                     "scale.price_computing,A,B,S3,x,heavy,100,5,5,III\n"
                     "scale.price_computing,A,B,S4,x,15000,100,5,5,III\n"
                     "scale.price_computing,A,B,S4,x,15000,100,5,5,III\n")
    errors = _post(api, text).json["errors"]["rows"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "type_code"), (3, "serial_number"), (4, "max"),
                                                          (6, "serial_number")}


def test_missing_columns_and_binary_garbage(api):
    assert _post(api, "a,b\n1,2\n").json["errors"]["rows"][0]["problem"] == "missing column"
    resp = api("post", "/api/v1/instruments/import", role="market_manager",
               data={"file": (io.BytesIO(b"\xff\xfe\x00bad"), "r.csv")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "file" in resp.json["errors"]
    resp = api("post", "/api/v1/instruments/import", role="market_manager", json={"file": "x"})
    assert resp.status_code == 422


def test_cli_import_reports_rows_and_exits_2(app, tmp_path, world):
    bad = tmp_path / "bad.csv"
    bad.write_text(_rows(50, bad_at=10), encoding="utf-8")
    runner = app.test_cli_runner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames \
        else app.test_cli_runner()
    result = runner.invoke(args=["instruments", "import", str(bad), "--owner-id", str(world.orgs["market_a"])])
    assert result.exit_code == 2
    assert "row 12, column e" in (result.stderr if hasattr(result, "stderr") else result.output)
    good = tmp_path / "good.csv"
    good.write_text(_rows(50), encoding="utf-8")
    result = runner.invoke(args=["instruments", "import", str(good), "--owner-id", str(world.orgs["market_a"])])
    assert result.exit_code == 0 and "imported 50" in result.output
    result = runner.invoke(args=["instruments", "import", str(good), "--owner-id", "424242"])
    assert result.exit_code == 2 and "no organisation" in (result.output + getattr(result, "stderr", ""))
