"""A commune's usual feedback categories (issue 9 §1), each with its deadline in working days and
the kind of department that handles it (org.DepartmentKind, or None: the leader assigns).

The demo ward (motcua.demo.feedback_day) and the test factories (motcua.testing) set a commune
up with these; a commune edits its own afterwards.
"""

from __future__ import annotations

# (code, name, deadline in working days, department kind)
FEEDBACK_CATEGORIES: tuple[tuple[str, str, int, str | None], ...] = (
    ("duong-sa", "Đường sá, giao thông", 10, "ECONOMIC"),
    ("chieu-sang", "Chiếu sáng", 5, "ECONOMIC"),
    ("thoat-nuoc", "Thoát nước", 7, "ECONOMIC"),
    ("rac-thai", "Rác thải, vệ sinh", 3, "ECONOMIC"),
    ("an-ninh", "An ninh, trật tự", 3, "OFFICE"),
    ("dat-dai", "Đất đai", 15, "ECONOMIC"),
    ("moi-truong", "Môi trường", 7, "ECONOMIC"),
    ("thu-tuc", "Thủ tục hành chính", 5, "OFFICE"),
    ("khac", "Khác", 10, None),
)
