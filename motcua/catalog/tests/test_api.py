def test_list_is_public_and_searches_without_diacritics(client, starter):
    response = client.get("/api/procedures", {"q": "chung thuc"})
    assert response.status_code == 200
    codes = {p["code"] for p in response.json()}
    assert "2.000815" in codes and "1.001193" not in codes


def test_list_limit_and_field(client, starter):
    body = client.get("/api/procedures", {"field": "dat-dai", "limit": 2}).json()
    assert len(body) == 2 and all(p["field_code"] == "dat-dai" for p in body)


def test_detail_has_checklist_and_form_fields(client, starter):
    body = client.get("/api/procedures/1.001193").json()
    assert body["time_text"] == "Giải quyết ngay"
    assert body["responsible_unit"] == "Văn phòng HĐND và UBND"
    assert body["checklist"][0]["form_label"] == "Bản chính"
    gender = next(f for f in body["form_fields"] if f["key"] == "gioi_tinh")
    assert gender["choices"] == ["Nam", "Nữ"]


def test_unknown_code_uses_the_api_error_shape(client, starter):
    response = client.get("/api/procedures/9.999999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_nul_bytes_and_over_long_values_are_not_server_errors(client, starter):
    assert client.get("/api/procedures", {"q": "khai\x00sinh", "field": "ho\x00tich"}).status_code == 200
    assert client.get("/api/procedures", {"q": "x" * 100_000, "field": "y" * 100_000}).status_code == 200
    assert client.get("/api/procedures", {"limit": 10**30}).status_code in (200, 422)
    assert client.get("/api/procedures/1.001193%00").status_code == 200  # the NUL is dropped
    assert client.get("/api/procedures/" + "9" * 5000).status_code == 404


def test_upload_with_a_nul_in_its_name_previews(client, superuser, starter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
    from motcua.core import clock
    from motcua.org.models import ApiToken

    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=superuser, name="t", key_hash=ApiToken.hash(raw), created_at=clock.now())
    upload = SimpleUploadedFile("dm\x00" + "x" * 400 + ".xlsx", workbook_bytes([GOOD]))
    response = client.post("/api/procedures/imports", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 201, response.content
    assert "\x00" not in response.json()["filename"]


def test_api_upload_of_a_bad_workbook_names_every_bad_row(client, superuser, starter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
    from motcua.core import clock
    from motcua.org.models import ApiToken

    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=superuser, name="t", key_hash=ApiToken.hash(raw), created_at=clock.now())
    bad = [*GOOD]
    bad[8] = 10**15
    upload = SimpleUploadedFile("dm.xlsx", workbook_bytes([GOOD, ["9.000002", *bad[1:]]]))
    response = client.post("/api/procedures/imports", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["details"][0].startswith("Sheet 'Thủ tục', dòng 3: Lệ phí (đồng) không được lớn hơn")
