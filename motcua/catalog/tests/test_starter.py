from motcua.catalog.models import ChecklistItem, FormField, Procedure, ProcedureField, TimeUnit
from motcua.catalog.services import catalog_load_starter
from motcua.core.text import fold
from motcua.org.models import DepartmentKind


def test_starter_loads_at_least_18_real_procedures(starter):
    assert starter.created >= 18
    assert Procedure.objects.count() == starter.created
    assert ProcedureField.objects.count() >= 6
    for p in Procedure.objects.all():
        assert p.checklist.exists(), p.code
        assert p.form_fields.exists(), p.code
        assert p.name_folded == fold(p.name)


def test_starter_has_the_procedures_the_end_to_end_test_uses(starter):
    birth = Procedure.objects.get(code="1.001193")
    assert birth.time_unit == TimeUnit.ON_THE_SPOT
    assert birth.responsible_kind == DepartmentKind.OFFICE
    land = Procedure.objects.get(code="1.013978")
    assert (land.time_unit, land.time_value, land.time_value_difficult) == (TimeUnit.WORKING_DAYS, 20, 30)
    assert land.responsible_kind == DepartmentKind.ECONOMIC
    copy = Procedure.objects.get(code="2.000815")
    assert copy.time_unit == TimeUnit.SAME_DAY
    assert copy.fee_vnd == 2000


def test_starter_is_idempotent_and_keeps_checklist_rows(starter):
    checklist_ids = set(ChecklistItem.objects.values_list("id", flat=True))
    form_ids = set(FormField.objects.values_list("id", flat=True))
    again = catalog_load_starter()
    assert again.created == 0
    assert again.updated == starter.created
    assert Procedure.objects.count() == starter.created
    assert set(ChecklistItem.objects.values_list("id", flat=True)) == checklist_ids
    assert set(FormField.objects.values_list("id", flat=True)) == form_ids


def test_starter_restores_an_edited_name_and_its_folded_copy(starter):
    Procedure.objects.filter(code="1.001193").update(name="Tên sai", name_folded="ten sai")
    catalog_load_starter()
    birth = Procedure.objects.get(code="1.001193")
    assert birth.name == "Thủ tục đăng ký khai sinh"
    assert birth.name_folded == "thu tuc dang ky khai sinh"
