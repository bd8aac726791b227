import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.models import Procedure


def test_load_starter_export_import(db, tmp_path, capsys):
    call_command("catalog", "load-starter")
    count = Procedure.objects.count()
    assert count >= 18
    out = tmp_path / "dm.xlsx"
    call_command("catalog", "export", str(out))
    assert out.stat().st_size > 0
    call_command("catalog", "import", str(out))
    assert f"Đã áp dụng: 0 thủ tục thêm mới, 0 thay đổi, {count} không đổi" in capsys.readouterr().out


def test_import_of_a_bad_file_fails_with_the_message(db, tmp_path):
    bad = tmp_path / "dm.xlsx"
    bad.write_text("không phải excel", encoding="utf-8")
    with pytest.raises(CommandError, match="không phải là tệp Excel"):
        call_command("catalog", "import", str(bad))
