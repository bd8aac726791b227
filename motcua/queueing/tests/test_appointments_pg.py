"""On PostgreSQL: 10 residents booking the last places of a slot at the same moment: exactly the
slot's capacity succeed (the group's row is locked while the places are counted); 10 check-ins
of one appointment at once give one ticket."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from motcua.core.errors import Conflict
from motcua.queueing.appointments import appointment_book, appointment_check_in
from motcua.queueing.models import Appointment, AppointmentState, Ticket
from motcua.testing import make_commune, make_service_groups

from .conftest import NOW, VN

WED_0900 = dt.datetime(2026, 2, 11, 9, 0, tzinfo=VN)
THREADS = 10


def _at_once(work):
    barrier = threading.Barrier(THREADS)

    def run(i: int) -> str:
        try:
            barrier.wait(timeout=60)
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [1, 3])
def test_ten_residents_booking_the_last_places_at_once(capacity):
    ward = make_commune()
    group = make_service_groups(ward)["B"]
    group.appointment_capacity = capacity
    group.save()

    def book(i: int) -> str:
        try:
            appointment_book(commune=ward, group_letter="B", starts_at=WED_0900, name=f"Người {i}", phone="",
                             holder=f"phone-{i}", now=NOW)  # fmt: skip
        except Conflict as exc:
            return exc.code
        return "booked"

    results = _at_once(book)
    assert results.count("booked") == capacity and results.count("slot_full") == THREADS - capacity
    assert Appointment.objects.filter(starts_at=WED_0900, state=AppointmentState.BOOKED).count() == capacity


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_check_ins_of_one_appointment_at_once_give_one_ticket():
    ward = make_commune()
    make_service_groups(ward)
    a = appointment_book(commune=ward, group_letter="B", starts_at=WED_0900, name="An", phone="", now=NOW)
    numbers = _at_once(lambda i: appointment_check_in(appointment=a, now=WED_0900).number)
    assert set(numbers) == {"B001"} and Ticket.objects.count() == 1
    a.refresh_from_db()
    assert a.state == AppointmentState.CHECKED_IN and a.ticket is not None
