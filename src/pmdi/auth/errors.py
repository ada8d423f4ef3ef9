from pmdi.core.errors import Conflict, Forbidden, NotAuthenticated, TooManyRequests


class InvalidCredentials(NotAuthenticated):
    default_detail = "Email or password is incorrect."


class InvalidToken(NotAuthenticated):
    default_detail = "The token is invalid, expired or revoked."


class LoginThrottled(TooManyRequests):
    default_detail = "Too many failed logins from this address for this account; try again later."


class EmailAlreadyRegistered(Conflict):
    default_detail = "An account with this email already exists."


class CsrfFailed(Forbidden):
    default_detail = "Missing or invalid CSRF token (send it in the X-CSRF-Token header)."
