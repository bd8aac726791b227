"""The residents' satisfaction questions of Circular 01/2018/TT-VPCP, as data (version
"TT01-2018-v1"). A later text that changes them is a new module with a new VERSION; every
rating stores the version it was answered with.

Each question: `code` (the Circular's indicator number), `text` (as asked, Vietnamese),
`applies_to` (which subjects ask it: "dossier" — a dossier with its result —, "ticket" — a
service at the counter), and three `options`, scored 2 / 1 / 0. `OVERALL` is the overall
satisfaction on three levels (rất hài lòng 2, hài lòng 1, không hài lòng 0).
"""

from typing import Any

VERSION = "TT01-2018-v1"

QUESTIONS: tuple[dict[str, Any], ...] = (
    {"code": "1", "applies_to": ("dossier",),
     "text": "Tổng thời gian giải quyết hồ sơ so với thời gian quy định",
     "options": ((2, "Sớm hơn quy định"), (1, "Đúng quy định"), (0, "Muộn hơn quy định"))},
    {"code": "2", "applies_to": ("dossier",),
     "text": "Thời gian thực hiện tại cơ quan, đơn vị",
     "options": ((2, "Sớm hơn quy định"), (1, "Đúng quy định"), (0, "Muộn hơn quy định"))},
    {"code": "3", "applies_to": ("dossier", "ticket"),
     "text": "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ",
     "options": ((2, "Không lần nào hoặc 1 lần"), (1, "2 lần"), (0, "3 lần trở lên"))},
    {"code": "4", "applies_to": ("dossier",),
     "text": "Số cơ quan, đơn vị phải liên hệ để hoàn thiện hồ sơ",
     "options": ((2, "Chỉ một nơi (bộ phận một cửa)"), (1, "2 nơi"), (0, "3 nơi trở lên"))},
    {"code": "5", "applies_to": ("dossier",),
     "text": "Thực hiện đúng cơ chế một cửa, một cửa liên thông",
     "options": ((2, "Đúng, chỉ nộp và nhận tại một cửa"), (1, "Phải đi thêm một lần"), (0, "Không đúng"))},
    {"code": "6", "applies_to": ("dossier", "ticket"),
     "text": "Công khai thủ tục hành chính (thành phần, thời hạn, phí, lệ phí)",
     "options": ((2, "Đầy đủ, dễ tìm"), (1, "Có nhưng khó tìm"), (0, "Không công khai"))},
    {"code": "7", "applies_to": ("dossier", "ticket"),
     "text": "Thái độ, tinh thần phục vụ của cán bộ, công chức",
     "options": ((2, "Nhiệt tình, chu đáo"), (1, "Bình thường"), (0, "Thiếu tôn trọng, gây khó khăn"))},
    {"code": "8", "applies_to": ("dossier",),
     "text": "Tiếp nhận, xử lý phản ánh, kiến nghị",
     "options": ((2, "Được tiếp nhận, trả lời thỏa đáng"), (1, "Được tiếp nhận, chưa trả lời"), (0, "Không được tiếp nhận"))},
    {"code": "9", "applies_to": ("dossier",),
     "text": "Tiến độ, chất lượng cung cấp dịch vụ công trực tuyến",
     "options": ((2, "Tốt"), (1, "Bình thường"), (0, "Chưa tốt hoặc chưa có"))},
)  # fmt: skip

OVERALL: tuple[tuple[int, str], ...] = ((2, "Rất hài lòng"), (1, "Hài lòng"), (0, "Không hài lòng"))


def questions_for(subject: str) -> tuple[dict[str, Any], ...]:
    return tuple(q for q in QUESTIONS if subject in q["applies_to"])
