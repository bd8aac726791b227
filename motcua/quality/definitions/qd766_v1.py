"""The Decision 766/QĐ-TTg index at commune level, as data (version "QD766-v1").

Each indicator: `code`, `name` (Vietnamese, as shown), `group`, `maximum` (points), `kind`:
- "ratio": points = maximum × ratio (capped at the maximum);
- "threshold": full marks at `threshold`, scaled below it: maximum × min(1, ratio / threshold);
- "not_measurable": the platform does not hold the data; shown as «chưa đo được», no points.
`measure` names the engine's measure (index766.MEASURES); `when_empty` says what a zero
denominator gives: "full" (full marks where there was none) or "zero".
"""

from typing import Any

VERSION = "QD766-v1"

INDICATORS: tuple[dict[str, Any], ...] = (
    # Công khai, minh bạch (18)
    {"code": "CK1", "group": "Công khai, minh bạch", "maximum": 6, "kind": "not_measurable",
     "name": "Công bố, công khai thủ tục hành chính đúng hạn",
     "note": "Danh mục thủ tục chưa lưu ngày công bố, ngày công khai."},
    {"code": "CK2", "group": "Công khai, minh bạch", "maximum": 4, "kind": "not_measurable",
     "name": "Cập nhật, công khai thủ tục hành chính đúng hạn",
     "note": "Danh mục thủ tục chưa lưu ngày cập nhật theo quyết định công bố."},
    {"code": "CK3", "group": "Công khai, minh bạch", "maximum": 2, "kind": "not_measurable",
     "name": "Công khai đầy đủ nội dung thủ tục hành chính",
     "note": "Chưa đối chiếu nội dung công khai với Cơ sở dữ liệu quốc gia về TTHC."},
    {"code": "CK4", "group": "Công khai, minh bạch", "maximum": 6, "kind": "not_measurable",
     "name": "Đồng bộ hồ sơ theo thời gian thực lên Cổng Dịch vụ công quốc gia",
     "note": "Hệ thống chưa kết nối, đồng bộ với Cổng Dịch vụ công quốc gia."},
    # Tiến độ giải quyết (20)
    {"code": "TD1", "group": "Tiến độ giải quyết", "maximum": 20, "kind": "ratio", "measure": "on_time",
     "when_empty": "zero", "name": "Hồ sơ giải quyết sớm, đúng hạn và đang giải quyết trong hạn"},
    # Dịch vụ công trực tuyến (12)
    {"code": "TT1", "group": "Dịch vụ công trực tuyến", "maximum": 12, "kind": "threshold", "threshold": 0.5,
     "measure": "online", "when_empty": "zero", "name": "Tỷ lệ hồ sơ nộp trực tuyến"},
    # Số hóa hồ sơ (22)
    {"code": "SH1", "group": "Số hóa hồ sơ", "maximum": 6, "kind": "ratio", "measure": "result_digitised",
     "when_empty": "zero", "name": "Hồ sơ có kết quả điện tử",
     "note": "Đếm hồ sơ đã có kết quả mà kết quả được số hóa, lưu cùng hồ sơ; chưa kiểm tra chữ ký số."},
    {"code": "SH2", "group": "Số hóa hồ sơ", "maximum": 4, "kind": "ratio", "measure": "dossier_digitised",
     "when_empty": "zero", "name": "Hồ sơ được số hóa thành phần"},
    {"code": "SH3", "group": "Số hóa hồ sơ", "maximum": 2, "kind": "not_measurable",
     "name": "Cấp bản sao điện tử có chứng thực", "note": "Hệ thống chưa cấp bản sao điện tử."},
    {"code": "SH4", "group": "Số hóa hồ sơ", "maximum": 2, "kind": "not_measurable",
     "name": "Thành phần hồ sơ được thay thế bằng dữ liệu đã có",
     "note": "Chưa khai thác dữ liệu dân cư, dữ liệu chuyên ngành."},
    {"code": "SH5", "group": "Số hóa hồ sơ", "maximum": 4, "kind": "not_measurable",
     "name": "Tái sử dụng giấy tờ đã số hóa (đạt điểm tối đa ở 80 %)",
     "note": "Chưa ghi nhận việc tái sử dụng giấy tờ đã số hóa."},
    # Mức độ hài lòng (18)
    {"code": "HL1", "group": "Mức độ hài lòng", "maximum": 6, "kind": "ratio", "measure": "feedback_on_time",
     "when_empty": "full", "name": "Phản ánh, kiến nghị được xử lý đúng hạn"},
    {"code": "HL2", "group": "Mức độ hài lòng", "maximum": 6, "kind": "ratio", "measure": "feedback_satisfied",
     "when_empty": "full", "name": "Mức độ hài lòng về xử lý phản ánh, kiến nghị",
     "note": "Hài lòng: đánh giá từ 4/5 trở lên."},
    {"code": "HL3", "group": "Mức độ hài lòng", "maximum": 6, "kind": "threshold", "threshold": 0.9,
     "measure": "dossier_satisfied", "when_empty": "full",
     "name": "Mức độ hài lòng về giải quyết hồ sơ (đạt điểm tối đa ở 90 %)",
     "note": "Đánh giá của người dân về hồ sơ tiếp nhận trong kỳ (phiếu theo Thông tư 01/2018): hài lòng "
             "là «hài lòng» hoặc «rất hài lòng»; không có đánh giá nào thì đạt tối đa."},
    # Thanh toán trực tuyến (10)
    {"code": "TTTT", "group": "Thanh toán trực tuyến", "maximum": 10, "kind": "not_measurable",
     "name": "Hồ sơ thanh toán trực tuyến trên hồ sơ có phí, lệ phí",
     "note": "Hệ thống chỉ ghi nhận đã nộp phí, không ghi nhận nộp trực tuyến."},
)  # fmt: skip
