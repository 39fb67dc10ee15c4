package io.opshell.host.session;

/**
 * A session's budget of state calls: a token bucket holding one second's worth of calls, full
 * when the session starts, refilled at the session's rate (read from its limits on every call, so
 * a policy reload applies at once). It remembers whether it is refusing, so that a shell looping
 * against the limit is audited once per run of refusals, not once per call. One per session, for
 * as long as the session lives, whichever shell instance it runs: a shell cannot refill its budget
 * by trapping and being replaced.
 */
final class StateCallBudget {
    /** What {@link #take} decided. */
    enum Verdict {
        ALLOWED,
        /** Refused, the first refusal since a call was allowed. */
        REFUSED_FIRST,
        /** Refused again. */
        REFUSED_AGAIN
    }

    private double tokens = Double.NaN;
    private long lastNanos;
    private boolean refusing;

    /** Takes one call at {@code perSecond} (infinite: always allowed). */
    synchronized Verdict take(double perSecond) {
        if (Double.isInfinite(perSecond)) {
            refusing = false;
            return Verdict.ALLOWED;
        }
        long now = System.nanoTime();
        tokens = Double.isNaN(tokens) ? perSecond : Math.min(perSecond, tokens + (now - lastNanos) / 1e9 * perSecond);
        lastNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            refusing = false;
            return Verdict.ALLOWED;
        }
        Verdict v = refusing ? Verdict.REFUSED_AGAIN : Verdict.REFUSED_FIRST;
        refusing = true;
        return v;
    }
}
