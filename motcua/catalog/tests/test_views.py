import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from motcua.catalog.models import Procedure
from motcua.catalog.services import catalog_export_excel
from motcua.catalog.tests.workbooks import GOOD, workbook_bytes
from motcua.org.models import Role


def test_list_page_is_public_and_in_vietnamese(client, starter):
    response = client.get(reverse("catalog:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thủ tục hành chính" in html
    assert "Thủ tục đăng ký khai sinh" in html
    assert "Hộ tịch" in html
    assert 'hx-get="/thu-tuc/"' in html


def test_list_search_without_diacritics(client, starter):
    html = client.get(reverse("catalog:list"), {"q": "chung thuc"}).content.decode()
    assert "Chứng thực bản sao từ bản chính" in html
    assert "Thủ tục đăng ký khai sinh" not in html


def test_htmx_request_gets_only_the_results_partial(client, starter):
    response = client.get(reverse("catalog:list"), {"q": "khai sinh"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "Thủ tục đăng ký khai sinh" in html
    assert "HX-Request" in response["Vary"]


def test_filter_by_field_and_empty_result(client, starter):
    html = client.get(reverse("catalog:list"), {"linh_vuc": "dat-dai"}).content.decode()
    assert "Đất đai" in html and "Thủ tục đăng ký khai sinh" not in html
    html = client.get(reverse("catalog:list"), {"q": "khong co thu tuc nay"}).content.decode()
    assert "Không tìm thấy thủ tục phù hợp" in html


def test_detail_page_of_birth_registration(client, starter):
    html = client.get(reverse("catalog:detail", args=["1.001193"])).content.decode()
    assert "Giải quyết ngay" in html
    assert "Tờ khai đăng ký khai sinh" in html
    assert "Bản chính" in html and "1 bản" in html
    assert "Trung tâm Phục vụ hành chính công" in html
    assert "Văn phòng HĐND và UBND" in html
    assert 'href="/nop-truc-tuyen/1.001193/"' in html
    assert "Luật Hộ tịch" in html


def test_detail_page_of_land_certificate_and_fee(client, starter):
    html = client.get(reverse("catalog:detail", args=["1.013978"])).content.decode()
    assert "20 ngày làm việc (30 ngày làm việc ở xã miền núi" in html
    html = client.get(reverse("catalog:detail", args=["2.000635"])).content.decode()
    assert "8.000 đồng" in html


def test_detail_without_online_submission_has_no_link(client, starter):
    html = client.get(reverse("catalog:detail", args=["2.000884"])).content.decode()
    assert "/nop-truc-tuyen/" not in html
    assert "nộp trực tiếp" in html


def test_unknown_or_inactive_procedure_is_404(client, starter):
    assert client.get(reverse("catalog:detail", args=["9.999999"])).status_code == 404
    Procedure.objects.filter(code="1.001193").update(is_active=False)
    assert client.get(reverse("catalog:detail", args=["1.001193"])).status_code == 404


STAFF_URLS = ["catalog:export", "catalog:import", "catalog:import_history"]


@pytest.mark.parametrize("name", STAFF_URLS)
def test_staff_pages_send_anonymous_users_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


@pytest.mark.parametrize("name", STAFF_URLS)
@pytest.mark.parametrize(
    "role",
    [Role.COUNTER_OFFICER, Role.SPECIALIST, Role.DEPARTMENT_HEAD, Role.PROVINCE_OFFICER, Role.RESIDENT],
)
def test_staff_pages_refuse_other_roles(client, make_user, name, role):
    client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == 403


def test_non_manager_cannot_import(client, make_user, starter):
    client.force_login(make_user(Role.COUNTER_OFFICER))
    upload = SimpleUploadedFile("dm.xlsx", catalog_export_excel())
    assert client.post(reverse("catalog:import"), {"file": upload}).status_code == 403


def test_installation_administrator_downloads_the_workbook(superuser_client, starter):
    response = superuser_client.get(reverse("catalog:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content))["Thủ tục"]["A2"].value


def test_import_page_shows_every_bad_row(superuser_client, starter):
    bad1 = [*GOOD]
    bad1[8] = "tám nghìn"
    bad2 = [*GOOD]
    bad2[0], bad2[5] = "9.000002", "Tuần"
    upload = SimpleUploadedFile("dm.xlsx", workbook_bytes([bad1, bad2]))
    response = superuser_client.post(reverse("catalog:import"), {"file": upload})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Sheet &#x27;Thủ tục&#x27;, dòng 2" in html
    assert "Sheet &#x27;Thủ tục&#x27;, dòng 3" in html
    assert "chưa nhập thủ tục nào" in html
    assert not Procedure.objects.filter(code__startswith="9.").exists()


def test_import_page_refuses_a_text_file(superuser_client, db):
    upload = SimpleUploadedFile("dm.xlsx", b"day khong phai excel")
    response = superuser_client.post(reverse("catalog:import"), {"file": upload})
    assert response.status_code == 422
    assert "không phải là tệp Excel .xlsx hợp lệ" in response.content.decode()


def test_upload_previews_then_apply_writes_and_lands_on_the_audit(superuser_client, starter):
    upload = SimpleUploadedFile("dm.xlsx", catalog_export_excel())
    response = superuser_client.post(reverse("catalog:import"), {"file": upload})
    assert response.status_code == 302
    preview_url = response["Location"]
    html = superuser_client.get(preview_url).content.decode()
    assert "Xem trước thay đổi danh mục" in html
    assert f"<strong>{starter.created}</strong> không đổi" in html
    assert 'type="submit" class="primary">Áp dụng</button>' in html
    response = superuser_client.post(preview_url + "ap-dung/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Lịch sử nhập danh mục thủ tục" in html
    assert f"0 thủ tục thêm mới, 0 thay đổi, {starter.created} không đổi" in html


def test_list_page_offers_the_management_links_only_to_installation_administrators(
    client, superuser, make_user, starter
):
    client.force_login(make_user(Role.ADMIN))
    assert "Quản lý danh mục" not in client.get(reverse("catalog:list")).content.decode()
    client.force_login(superuser)
    html = client.get(reverse("catalog:list")).content.decode()
    assert f'href="{reverse("catalog:import")}"' in html
    assert f'href="{reverse("catalog:import_history")}"' in html
