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
