"""The console's texts in Vietnamese and English."""

from __future__ import annotations

LANGUAGES = ("vi", "en")

TEXTS: dict[str, dict[str, str]] = {
    "title": {"vi": "Bảng điều khiển đội ki-ốt", "en": "Kiosk fleet console"},
    "sign_in": {"vi": "Đăng nhập", "en": "Sign in"},
    "sign_out": {"vi": "Đăng xuất", "en": "Sign out"},
    "username": {"vi": "Tên đăng nhập", "en": "User name"},
    "password": {"vi": "Mật khẩu", "en": "Password"},
    "bad_login": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong user name or password."},
    "locked": {
        "vi": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau 15 phút.",
        "en": "Too many failed sign-ins. Try again in 15 minutes.",
    },
    "fleet": {"vi": "Đội ki-ốt", "en": "Fleet"},
    "dead_letters": {"vi": "Thư không gửi được", "en": "Dead letters"},
    "tokens": {"vi": "Mã đăng ký ki-ốt", "en": "Enrolment tokens"},
    "audit": {"vi": "Nhật ký thao tác", "en": "Audit"},
    "kiosk": {"vi": "Ki-ốt", "en": "Kiosk"},
    "site": {"vi": "Cơ sở", "en": "Site"},
    "state": {"vi": "Trạng thái", "en": "State"},
    "online": {"vi": "Trực tuyến", "en": "Online"},
    "offline": {"vi": "Mất kết nối", "en": "Offline"},
    "revoked": {"vi": "Đã thu hồi", "en": "Revoked"},
    "never": {"vi": "chưa bao giờ", "en": "never"},
    "version": {"vi": "Phiên bản", "en": "Version"},
    "backlog": {"vi": "Hàng đợi", "en": "Backlog"},
    "error_rate": {"vi": "Tỉ lệ lỗi (24 giờ)", "en": "Error rate (24 h)"},
    "last_seen": {"vi": "Lần cuối", "en": "Last seen"},
    "records_24h": {"vi": "Lượt xác thực (24 giờ)", "en": "Verifications (24 h)"},
    "per_hour": {"vi": "Lượt xác thực mỗi giờ theo cơ sở", "en": "Verifications per hour per site"},
    "outcomes": {"vi": "Kết quả", "en": "Outcome mix"},
    "fallbacks": {"vi": "PACE→BAC theo đầu đọc", "en": "PACE→BAC fallbacks per reader model"},
    "face_scores": {"vi": "Phân bố điểm khuôn mặt", "en": "Face-score distribution"},
    "heartbeats": {"vi": "Nhịp báo gần đây", "en": "Recent heartbeats"},
    "recent_records": {"vi": "Lượt xác thực gần đây", "en": "Recent verifications"},
    "signing_keys": {"vi": "Khóa ký", "en": "Signing keys"},
    "revoke": {"vi": "Thu hồi", "en": "Revoke"},
    "retry": {"vi": "Gửi lại", "en": "Retry"},
    "connector": {"vi": "Đích gửi", "en": "Destination"},
    "attempts": {"vi": "Số lần", "en": "Attempts"},
    "last_error": {"vi": "Lỗi cuối", "en": "Last error"},
    "none": {"vi": "Không có.", "en": "None."},
    "issue_token": {"vi": "Tạo mã đăng ký", "en": "Issue a token"},
    "token_once": {
        "vi": "Mã chỉ hiện một lần, dùng được một lần, hết hạn sau 24 giờ:",
        "en": "Shown once, usable once, expires in 24 hours:",
    },
    "time": {"vi": "Thời gian", "en": "Time"},
    "actor": {"vi": "Người thực hiện", "en": "Actor"},
    "action": {"vi": "Thao tác", "en": "Action"},
    "target": {"vi": "Đối tượng", "en": "Target"},
    "status": {"vi": "Kết quả", "en": "Status"},
    "reader": {"vi": "Đầu đọc", "en": "Reader"},
    "errors": {"vi": "Lỗi gần đây", "en": "Last errors"},
    "role": {"vi": "Vai trò", "en": "Role"},
    "forbidden": {"vi": "Vai trò của bạn không được làm việc này.", "en": "Your role may not do this."},
    "done": {"vi": "Đã thực hiện.", "en": "Done."},
    "verified": {"vi": "đạt", "en": "verified"},
    "not_verified": {"vi": "không đạt", "en": "not verified"},
    "referred": {"vi": "chuyển quầy", "en": "referred"},
}

ROLE_NAMES = {
    "fleet_admin": {"vi": "Quản trị đội", "en": "Fleet admin"},
    "site_operator": {"vi": "Vận hành cơ sở", "en": "Site operator"},
    "auditor": {"vi": "Kiểm toán", "en": "Auditor"},
}


def translator(language: str) -> dict[str, str]:
    lang = language if language in LANGUAGES else "vi"
    return {key: texts[lang] for key, texts in TEXTS.items()}
