"""Every import shows its changes before applying, applies exactly what was previewed, and
leaves an audit entry: who, when, which procedures changed, before → after per field."""

import hashlib

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from motcua.catalog.models import CatalogueChange, CatalogueImport, ChecklistItem, Procedure
from motcua.catalog.services import catalog_import_apply, catalog_import_preview
from motcua.catalog.tests.workbooks import GOOD, changed_workbook, import_workbook, workbook_bytes
from motcua.core import clock
from motcua.core.errors import Conflict
from motcua.org.models import Role


def preview(data: bytes, actor=None):
    return catalog_import_preview(
        actor=actor,
        file=data,
        filename="dm.xlsx",
        source=CatalogueImport.Source.COMMAND_LINE,
        now=clock.now(),
    )


def test_preview_lists_added_changed_unchanged_and_missing_and_writes_nothing(starter):
    old_fee = Procedure.objects.get(code="2.000635").fee_vnd
    data = changed_workbook()
    pending, diff = preview(data)
    assert [p.code for p in diff.added] == ["9.000001"]
    changed = {p.code: {c.field: (c.before, c.after) for c in p.changes} for p in diff.changed}
    assert changed["2.000635"] == {"Lệ phí (đồng)": (str(old_fee), "10000")}
    birth = changed["1.001193"]
    assert list(birth) == ["Giấy tờ 2"]
    assert birth["Giấy tờ 2"][1].startswith("Giấy chứng sinh (bản chính) — Bản chính, 1 bản")
    assert [p.code for p in diff.missing] == ["1.000894"]
    assert len(diff.unchanged) == starter.created - 3
    assert pending.file_sha256 == hashlib.sha256(data).hexdigest()
    assert pending.status == CatalogueImport.Status.PREVIEWED
    assert Procedure.objects.get(code="2.000635").fee_vnd == old_fee
    assert not Procedure.objects.filter(code="9.000001").exists()


def test_apply_writes_the_previewed_rows_and_the_audit(starter, superuser):
    pending, _ = preview(changed_workbook(), actor=superuser)
    with clock.pinned(pending.previewed_at):
        applied = catalog_import_apply(actor=superuser, import_id=pending.pk, now=clock.now())
    assert applied.status == CatalogueImport.Status.APPLIED
    assert applied.applied_at == pending.previewed_at
    assert (applied.added_count, applied.changed_count, applied.missing_count) == (1, 2, 1)
    assert applied.actor == superuser and "quantri_he_thong" in applied.actor_label
    assert Procedure.objects.get(code="2.000635").fee_vnd == 10000
    assert ChecklistItem.objects.filter(
        procedure__code="1.001193", name="Giấy chứng sinh (bản chính)"
    ).exists()
    assert Procedure.objects.filter(code="1.000894").exists()  # an import never deletes
    changes = {c.procedure_code: c for c in CatalogueChange.objects.filter(catalogue_import=applied)}
    assert set(changes) == {"9.000001", "2.000635", "1.001193"}
    assert changes["9.000001"].kind == CatalogueChange.Kind.ADDED
    fee = changes["2.000635"]
    assert fee.kind == CatalogueChange.Kind.CHANGED
    assert fee.fields == [{"field": "Lệ phí (đồng)", "before": "8000", "after": "10000"}]


def test_a_stale_preview_is_refused_and_changes_nothing(starter):
    first, _ = preview(changed_workbook())
    fee_only = workbook_bytes([GOOD])
    second, _ = preview(fee_only)
    catalog_import_apply(actor=None, import_id=second.pk, now=clock.now())
    with pytest.raises(Conflict) as exc:
        catalog_import_apply(actor=None, import_id=first.pk, now=clock.now())
    assert exc.value.code == "stale_preview"
    assert Procedure.objects.get(code="2.000635").fee_vnd == 8000
    first.refresh_from_db()
    assert first.status == CatalogueImport.Status.PREVIEWED
    assert not first.changes.exists()


def test_a_preview_is_applied_once(starter):
    pending, _ = preview(workbook_bytes([GOOD]))
    catalog_import_apply(actor=None, import_id=pending.pk, now=clock.now())
    with pytest.raises(Conflict, match="đã được áp dụng"):
        catalog_import_apply(actor=None, import_id=pending.pk, now=clock.now())
    assert CatalogueChange.objects.count() == 1


def test_editing_the_catalogue_by_hand_also_makes_the_preview_stale(starter):
    pending, _ = preview(workbook_bytes([GOOD]))
    ChecklistItem.objects.filter(procedure__code="1.001193").update(quantity=3)
    with pytest.raises(Conflict):
        catalog_import_apply(actor=None, import_id=pending.pk, now=clock.now())


def test_stale_preview_page_offers_no_apply_button(superuser_client, starter):
    pending, _ = preview(workbook_bytes([GOOD]))
    import_workbook(changed_workbook())
    url = reverse("catalog:import_preview", args=[pending.pk])
    html = superuser_client.get(url).content.decode()
    assert "Danh mục đã thay đổi kể từ khi tải tệp này lên" in html
    assert ">Áp dụng</button>" not in html
    response = superuser_client.post(reverse("catalog:import_apply", args=[pending.pk]))
    assert response.status_code == 409
    assert "chưa áp dụng gì" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == CatalogueImport.Status.PREVIEWED


def test_preview_page_shows_before_and_after(superuser_client, starter):
    pending, _ = preview(changed_workbook())
    html = superuser_client.get(reverse("catalog:import_preview", args=[pending.pk])).content.decode()
    assert "<strong>1</strong> thủ tục thêm mới" in html
    assert "<strong>2</strong> thay đổi" in html
    assert "<strong>1</strong> không có trong tệp" in html
    assert "<td>8000</td><td>10000</td>" in html
    assert "Thủ tục thử nghiệm" in html
    assert pending.file_sha256 in html


def test_audit_page_lists_past_imports_with_their_changes(superuser_client, starter, superuser):
    pending, _ = preview(changed_workbook(), actor=superuser)
    catalog_import_apply(actor=superuser, import_id=pending.pk, now=clock.now())
    html = superuser_client.get(reverse("catalog:import_history")).content.decode()
    assert "Quản trị hệ thống (quantri_he_thong)" in html
    assert "Thêm mới: 9.000001 · Thủ tục thử nghiệm" in html
    assert "Thay đổi: 2.000635" in html
    assert "<td>8000</td><td>10000</td>" in html
    assert "1 thủ tục thêm mới, 2 thay đổi" in html


def test_unknown_import_id_is_404(superuser_client, db):
    url = reverse("catalog:import_preview", args=["00000000-0000-0000-0000-000000000000"])
    assert superuser_client.get(url).status_code == 404
    url = reverse("catalog:import_apply", args=["00000000-0000-0000-0000-000000000000"])
    assert superuser_client.post(url).status_code == 404


# ---------------------------------------------------------------------------- command line


def test_command_line_import_writes_the_audit_as_the_command_line(starter, tmp_path, capsys):
    path = tmp_path / "dm.xlsx"
    path.write_bytes(changed_workbook())
    call_command("catalog", "import", str(path))
    out = capsys.readouterr().out
    assert "+ 9.000001 Thủ tục thử nghiệm" in out
    assert "    Lệ phí (đồng): 8000 → 10000" in out
    applied = CatalogueImport.objects.get()
    assert applied.status == CatalogueImport.Status.APPLIED
    assert applied.source == CatalogueImport.Source.COMMAND_LINE
    assert applied.actor is None and applied.actor_label.startswith("Dòng lệnh")
    assert applied.changes.count() == 3


def test_command_line_dry_run_prints_the_diff_and_writes_nothing(starter, tmp_path, capsys):
    path = tmp_path / "dm.xlsx"
    path.write_bytes(changed_workbook())
    call_command("catalog", "import", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "~ 2.000635" in out and "Lệ phí (đồng): 8000 → 10000" in out
    assert "1 thêm mới, 2 thay đổi" in out
    assert "chưa ghi gì" in out
    assert not CatalogueImport.objects.exists()
    assert Procedure.objects.get(code="2.000635").fee_vnd == 8000


def test_command_line_by_names_a_superuser(starter, superuser, make_user, tmp_path):
    path = tmp_path / "dm.xlsx"
    path.write_bytes(workbook_bytes([GOOD]))
    call_command("catalog", "import", str(path), "--by", superuser.username)
    assert CatalogueImport.objects.get().actor == superuser
    leader = make_user(Role.COMMUNE_LEADER)
    with pytest.raises(CommandError, match="chỉ quản trị viên hệ thống"):
        call_command("catalog", "import", str(path), "--by", leader.username)
    with pytest.raises(CommandError, match="Không có tài khoản"):
        call_command("catalog", "import", str(path), "--by", "khong_co_ai")
    assert CatalogueImport.objects.count() == 1


def test_load_starter_on_a_catalogue_in_use_is_audited(starter, tmp_path, capsys):
    import_workbook(changed_workbook())
    capsys.readouterr()
    call_command("catalog", "load-starter")
    out = capsys.readouterr().out
    assert "Lệ phí (đồng): 10000 → 8000" in out
    assert Procedure.objects.get(code="2.000635").fee_vnd == 8000
    entry = CatalogueImport.objects.get(filename="starter_catalogue.json")
    assert entry.status == CatalogueImport.Status.APPLIED and entry.actor_label.startswith("Dòng lệnh")
    fee = entry.changes.get(procedure_code="2.000635")
    assert fee.fields == [{"field": "Lệ phí (đồng)", "before": "10000", "after": "8000"}]
