package io.opshell.abi;

/** The one table of negative results a host function can return. Values are part of the ABI. */
public enum AbiError {
    NOT_FOUND(-1, "not found"),
    PERMISSION_DENIED(-2, "permission denied"),
    BAD_ARGUMENT(-3, "bad argument"),
    TOO_LARGE(-4, "too large"),
    RATE_LIMITED(-5, "rate limited"),
    QUOTA(-6, "quota exceeded"),
    INTERNAL(-7, "internal error"),
    OUT_OF_BOUNDS(-8, "pointer out of bounds"),
    INVALID_UTF8(-9, "invalid UTF-8"),
    /** Something the change depends on (the audit log, the store) cannot be used; nothing was changed. */
    UNAVAILABLE(-10, "unavailable; nothing was changed"),
    /** The application refused the call; the message is its own. */
    REJECTED(-11, "rejected by the application");

    private final int code;
    private final String description;

    AbiError(int code, String description) {
        this.code = code;
        this.description = description;
    }

    public int code() {
        return code;
    }

    public String description() {
        return description;
    }
}
