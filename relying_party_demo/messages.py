"""What the portal says to people: error messages per error code and the names of claims.

Vietnamese first, English beside it. Each text is one plain sentence with no markup, so that a
translation catalogue can take these over without touching the views.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    vi: str
    en: str


SIGN_IN_FAILED = Message("Không thể đăng nhập", "Sign-in failed")
SIGN_OUT_FAILED = Message("Không thể đăng xuất", "Sign-out failed")
REFRESH_FAILED = Message("Không thể cập nhật thông tin", "Your information could not be updated")
APPLICATION_INCOMPLETE = Message("Không thể nộp hồ sơ", "The application was not sent")

# Codes the provider may send to the redirect URI (RFC 6749 §4.1.2.1, OpenID Connect Core §3.1.2.6)
# or from the token endpoint (RFC 6749 §5.2), and the codes the portal itself raises.
ERRORS: dict[str, Message] = {
    "access_denied": Message(
        "Bạn đã từ chối chia sẻ thông tin với cổng dịch vụ, hoặc yêu cầu đã bị huỷ.",
        "You declined to share your information with the portal, or the request was cancelled.",
    ),
    "login_required": Message(
        "Bạn cần đăng nhập tài khoản định danh điện tử để tiếp tục.",
        "You need to sign in with your e-ID account to continue.",
    ),
    "consent_required": Message(
        "Bạn cần đồng ý chia sẻ thông tin để tiếp tục.",
        "You need to agree to share your information to continue.",
    ),
    "interaction_required": Message(
        "Cần thao tác của bạn trên trang định danh điện tử để tiếp tục.",
        "The e-ID service needs you to act before continuing.",
    ),
    "account_selection_required": Message(
        "Bạn cần chọn tài khoản trên trang định danh điện tử.",
        "You need to choose an account on the e-ID service.",
    ),
    "invalid_request": Message(
        "Yêu cầu đăng nhập không hợp lệ.",
        "The sign-in request was not valid.",
    ),
    "invalid_scope": Message(
        "Cổng dịch vụ đã yêu cầu loại thông tin không được phép.",
        "The portal asked for information it may not receive.",
    ),
    "unauthorized_client": Message(
        "Cổng dịch vụ chưa được phép đăng nhập theo cách này.",
        "The portal is not allowed to sign in this way.",
    ),
    "unsupported_response_type": Message(
        "Nhà cung cấp định danh không hỗ trợ kiểu yêu cầu này.",
        "The identity provider does not support this kind of request.",
    ),
    "invalid_client": Message(
        "Nhà cung cấp định danh không nhận ra cổng dịch vụ (sai mã hoặc mật khẩu ứng dụng).",
        "The identity provider did not recognise the portal (wrong client id or secret).",
    ),
    "invalid_grant": Message(
        "Mã đăng nhập đã hết hạn hoặc đã được sử dụng. Vui lòng đăng nhập lại.",
        "The sign-in code has expired or was already used. Please sign in again.",
    ),
    "server_error": Message(
        "Nhà cung cấp định danh gặp lỗi. Vui lòng thử lại sau.",
        "The identity provider had an error. Please try again later.",
    ),
    "temporarily_unavailable": Message(
        "Nhà cung cấp định danh đang tạm thời quá tải. Vui lòng thử lại sau.",
        "The identity provider is temporarily unavailable. Please try again later.",
    ),
    "issuer_mismatch": Message(
        "Phản hồi đến từ một nhà cung cấp định danh khác với nhà cung cấp đã được yêu cầu.",
        "The response came from an identity provider other than the one that was asked.",
    ),
    "missing_issuer": Message(
        "Phản hồi thiếu thông tin nhà cung cấp định danh (tham số iss).",
        "The response does not say which identity provider sent it (no iss parameter).",
    ),
    "invalid_state": Message(
        "Phiên đăng nhập không khớp hoặc đã hết hạn. Vui lòng đăng nhập lại từ trang chủ.",
        "The sign-in does not match one started here, or it has expired. Please start again.",
    ),
    "missing_code": Message(
        "Phản hồi thiếu mã đăng nhập.",
        "The response has no authorization code.",
    ),
    "missing_id_token": Message(
        "Nhà cung cấp định danh không trả về mã định danh (ID token).",
        "The identity provider returned no ID token.",
    ),
    "invalid_id_token": Message(
        "Mã định danh (ID token) không hợp lệ và đã bị từ chối.",
        "The ID token was not valid and was refused.",
    ),
    "azp_mismatch": Message(
        "Mã định danh được cấp cho một ứng dụng khác.",
        "The ID token was issued to a different application.",
    ),
    "userinfo_subject_mismatch": Message(
        "Thông tin người dùng không thuộc về người vừa đăng nhập.",
        "The user information belongs to someone other than the person who signed in.",
    ),
    "invalid_provider_response": Message(
        "Nhà cung cấp định danh trả về phản hồi không hợp lệ.",
        "The identity provider sent a response the portal could not understand.",
    ),
    "invalid_token": Message(
        "Nhà cung cấp định danh không còn cho cổng này truy cập thông tin của bạn: bạn đã rút "
        "lại sự đồng ý hoặc phiên đăng nhập đã kết thúc. Hãy đăng nhập lại nếu cần.",
        "The identity provider no longer lets this portal read your information: you withdrew "
        "your consent or the sign-in has ended. Sign in again if you need to.",
    ),
    "provider_unreachable": Message(
        "Không kết nối được tới nhà cung cấp định danh. Vui lòng thử lại sau.",
        "The identity provider could not be reached. Please try again later.",
    ),
    "discovery_issuer_mismatch": Message(
        "Cấu hình của nhà cung cấp định danh không khớp với địa chỉ đã cấu hình cho cổng.",
        "The identity provider's configuration names a different issuer than the portal expects.",
    ),
    "unmet_authentication_requirements": Message(
        "Tài khoản của bạn chưa đạt mức xác thực mà thủ tục này yêu cầu: cần đăng nhập hai lớp "
        "(mật khẩu và mã xác thực một lần). Hãy cài ứng dụng xác thực cho tài khoản rồi thử lại.",
        "Your account cannot reach the level of sign-in this procedure needs: two factors (a "
        "password and a one-time code). Add an authenticator app to your account and try again.",
    ),
    "insufficient_acr": Message(
        "Nhà cung cấp định danh xác thực bạn ở mức thấp hơn mức cổng đã yêu cầu, nên cổng đã từ "
        "chối phiên đăng nhập này.",
        "The identity provider signed you in at a lower level than the portal asked for, so the "
        "portal refused the sign-in.",
    ),
    "invalid_logout_state": Message(
        "Yêu cầu đăng xuất không khớp với yêu cầu mà cổng đã gửi. Nếu bạn vừa đăng xuất, phiên "
        "tại cổng đã kết thúc.",
        "The sign-out response does not match one the portal sent. If you just signed out, your "
        "session at the portal has ended.",
    ),
    "invalid_csrf_token": Message(
        "Biểu mẫu đã hết hạn. Vui lòng quay lại trang chủ và thử lại.",
        "The form has expired. Please go back to the home page and try again.",
    ),
}

UNKNOWN_ERROR = Message(
    "Đã xảy ra lỗi khi đăng nhập.",
    "Something went wrong while signing in.",
)

PAGE_ERRORS: dict[int, Message] = {
    404: Message("Không tìm thấy trang", "Page not found"),
    405: Message("Phương thức không được hỗ trợ", "Method not allowed"),
    500: Message("Đã xảy ra lỗi", "Something went wrong"),
}
PAGE_ERROR_HINT = Message(
    "Không thể hiển thị trang này. Vui lòng quay lại trang chủ.",
    "This page cannot be shown. Please go back to the home page.",
)


def error_message(code: str) -> Message:
    return ERRORS.get(code, UNKNOWN_ERROR)


# The claims catalogue's names (DESIGN §3), for the tables of verified claims.
CLAIM_LABELS: dict[str, Message] = {
    "iss": Message("Nhà cung cấp định danh", "Issuer"),
    "sub": Message("Mã định danh người dùng tại cổng", "Subject"),
    "aud": Message("Ứng dụng nhận", "Audience"),
    "azp": Message("Ứng dụng được cấp", "Authorized party"),
    "exp": Message("Hết hạn lúc", "Expires at"),
    "iat": Message("Cấp lúc", "Issued at"),
    "auth_time": Message("Thời điểm xác thực", "Authenticated at"),
    "nonce": Message("Số dùng một lần", "Nonce"),
    "acr": Message("Mức độ bảo đảm", "Assurance level"),
    "amr": Message("Phương thức xác thực", "Authentication methods"),
    "at_hash": Message("Băm mã truy cập", "Access token hash"),
    "sid": Message("Mã phiên", "Session id"),
    "name": Message("Họ và tên", "Full name"),
    "family_name": Message("Họ", "Family name"),
    "middle_name": Message("Tên đệm", "Middle name"),
    "given_name": Message("Tên", "Given name"),
    "birthdate": Message("Ngày sinh", "Date of birth"),
    "gender": Message("Giới tính", "Gender"),
    "nationality": Message("Quốc tịch", "Nationality"),
    "address": Message("Nơi thường trú", "Permanent residence"),
    "phone_number": Message("Số điện thoại", "Phone number"),
    "phone_number_verified": Message("Đã xác minh số điện thoại", "Phone number verified"),
    "email": Message("Thư điện tử", "Email"),
    "email_verified": Message("Đã xác minh thư điện tử", "Email verified"),
    "citizen_id": Message("Số định danh cá nhân", "Personal identification number"),
    "health_insurance": Message("Bảo hiểm y tế", "Health insurance"),
    "social_insurance": Message("Bảo hiểm xã hội", "Social insurance"),
    "driving_licenses": Message("Giấy phép lái xe", "Driving licences"),
    "vehicles": Message("Phương tiện đã đăng ký", "Registered vehicles"),
    "education": Message("Văn bằng", "Education"),
    "vaccinations": Message("Tiêm chủng", "Vaccinations"),
    "jti": Message("Mã của mã thông báo", "Token id"),
    "scope": Message("Phạm vi được cấp", "Granted scope"),
    "client_id": Message("Ứng dụng được cấp", "Client"),
}

# The token inspector's validation steps (OpenID Connect Core §3.1.3.7, RFC 9068 §4).
CHECK_LABELS: dict[str, Message] = {
    "format": Message("Định dạng", "Format"),
    "typ": Message("Kiểu mã (typ)", "Token type (typ)"),
    "signature": Message("Chữ ký khớp khoá công khai của nhà cung cấp", "Signature (JWKS)"),
    "iss": Message("Nhà phát hành đúng", "Issuer"),
    "aud": Message("Ứng dụng nhận đúng", "Audience"),
    "azp": Message("Ứng dụng được cấp đúng", "Authorized party"),
    "exp": Message("Chưa hết hạn", "Not expired"),
    "iat": Message("Thời điểm cấp hợp lệ", "Issued at"),
    "nonce": Message("Số dùng một lần khớp", "Nonce"),
    "acr": Message("Mức độ bảo đảm đủ", "Assurance level"),
    "at_hash": Message("Băm mã truy cập khớp", "Access-token hash"),
    "sub": Message("Cùng một người dùng", "Same subject"),
    "client_id": Message("Cấp cho cổng này", "Issued to this portal"),
    "scope": Message("Phạm vi", "Scope"),
}

# Claims whose value is a NumericDate (RFC 7519 §2), shown with their UTC time as well.
TIME_CLAIMS = frozenset({"exp", "iat", "auth_time", "nbf", "updated_at"})
