"""How the catalogue's numbers read to a person: fees in đồng, statutory times in words.

Pure functions, shared by the public pages, the dossier screens (through the template
filters in `templatetags/catalog_tags.py`) and the API.
"""

from motcua.catalog.models import Procedure, TimeUnit

# The law's words for the areas that get the longer statutory time (Decree 101/2024 and
# the older land decrees use the same list).
DIFFICULT_AREAS = (
    "xã miền núi, biên giới, hải đảo, vùng có điều kiện kinh tế - xã hội khó khăn, đặc biệt khó khăn"
)


def format_vnd(amount: int | None) -> str:
    """8000 → "8.000 đồng"; 0 or nothing → "Miễn phí". Vietnamese groups thousands with dots."""
    if not amount:
        return "Miễn phí"
    return f"{amount:,}".replace(",", ".") + " đồng"


def describe_time(*, unit: str, value: int | None, value_difficult: int | None = None) -> str:
    """A statutory time as a resident reads it.

    ON_THE_SPOT → "Giải quyết ngay"; 20 WORKING_DAYS with 30 in difficult areas →
    "20 ngày làm việc (30 ngày làm việc ở xã miền núi, …)".
    """
    if unit == TimeUnit.ON_THE_SPOT:
        return "Giải quyết ngay"
    if unit == TimeUnit.SAME_DAY:
        return "Trong ngày (nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo)"
    word = "giờ làm việc" if unit == TimeUnit.HOURS else "ngày làm việc"
    if not value:
        return word.capitalize()
    text = f"{value} {word}"
    if value_difficult and value_difficult != value:
        text += f" ({value_difficult} {word} ở {DIFFICULT_AREAS})"
    return text


def procedure_time(procedure: Procedure) -> str:
    return describe_time(
        unit=procedure.time_unit,
        value=procedure.time_value,
        value_difficult=procedure.time_value_difficult,
    )


def procedure_fee(procedure: Procedure) -> str:
    """The fee line. A zero fee with a note ("set by the province") shows the note, not
    "Miễn phí", which would be untrue where the province charges."""
    if not procedure.fee_vnd and procedure.fee_note:
        return procedure.fee_note
    text = format_vnd(procedure.fee_vnd)
    if procedure.fee_note:
        text += f" ({procedure.fee_note})"
    return text
