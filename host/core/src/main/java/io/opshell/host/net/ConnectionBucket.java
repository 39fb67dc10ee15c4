package io.opshell.host.net;

/**
 * A token bucket for new connections from one peer: holds up to one second's worth of tokens
 * and starts full, so a peer may open {@code perSecond} connections at once and then that many
 * per second. (Guava's RateLimiter starts empty and spaces every permit, which would refuse the
 * second of two quick, legitimate connections.) Thread-safe.
 */
public final class ConnectionBucket {
    private double rate;
    private double tokens;
    private long lastNanos;

    public ConnectionBucket(double perSecond) {
        this.rate = perSecond;
        this.tokens = perSecond;
        this.lastNanos = System.nanoTime();
    }

    /** Takes one token if there is one. */
    public synchronized boolean tryTake(double perSecond) {
        long now = System.nanoTime();
        rate = perSecond; // follows policy reloads
        tokens = Math.min(rate, tokens + (now - lastNanos) / 1e9 * rate);
        lastNanos = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
