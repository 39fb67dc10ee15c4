package io.opshell.store.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * The Lua scripts that make each Redis change atomic and conditional. Each change script applies
 * only if the value is still the one the host read and journaled (compare-and-set) and the quota
 * still holds; otherwise it changes nothing and answers what it found, so the host can journal a
 * fresh record and try again without another read. Values are compared as strings, never as Lua
 * numbers (doubles, which would round a 64-bit counter). Scripts run by SHA; a Redis that lost its
 * script cache (restarted) gets the source once.
 */
final class Scripts {
    /** KEYS kv, index, bytes; ARGV key. Answers {exists, value, entries, bytes}. */
    static final Scripts READ_ENTRY = new Scripts("""
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            return {cur and 1 or 0, cur or '', redis.call('HLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
            """);

    /**
     * KEYS kv, index, bytes; ARGV key, expected-exists (0/1), expected value, new value, max entries, max bytes.
     * Answers {'ok'}, {'conflict', exists, value, entries, bytes}, {'entries', used} or {'bytes', used}.
     */
    static final Scripts SET_IF = new Scripts("""
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            local entries = redis.call('HLEN', KEYS[1])
            local used = tonumber(redis.call('GET', KEYS[3]) or '0')
            if (ARGV[2] == '1' and cur ~= ARGV[3]) or (ARGV[2] == '0' and cur) then
              return {'conflict', cur and 1 or 0, cur or '', entries, used}
            end
            local growth
            if cur then growth = #ARGV[4] - #cur else growth = #ARGV[1] + #ARGV[4] end
            if not cur and entries + 1 > tonumber(ARGV[5]) then return {'entries', entries} end
            if growth > 0 and used + growth > tonumber(ARGV[6]) then return {'bytes', used} end
            redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
            if not cur then redis.call('ZADD', KEYS[2], 0, ARGV[1]) end
            if growth ~= 0 then redis.call('INCRBY', KEYS[3], growth) end
            return {'ok'}
            """);

    /** KEYS kv, index, bytes; ARGV key, expected value. Answers {'ok'} or {'conflict', exists, value}. */
    static final Scripts DELETE_IF = new Scripts("""
            local cur = redis.call('HGET', KEYS[1], ARGV[1])
            if cur ~= ARGV[2] then return {'conflict', cur and 1 or 0, cur or ''} end
            redis.call('HDEL', KEYS[1], ARGV[1])
            redis.call('ZREM', KEYS[2], ARGV[1])
            redis.call('DECRBY', KEYS[3], #ARGV[1] + #cur)
            return {'ok'}
            """);

    /** KEYS counter; ARGV expected, new. Answers {'ok'} or {'conflict', current}. */
    static final Scripts ADD_IF = new Scripts("""
            local cur = redis.call('GET', KEYS[1]) or '0'
            if cur ~= ARGV[1] then return {'conflict', cur} end
            redis.call('SET', KEYS[1], ARGV[2])
            return {'ok'}
            """);

    /** KEYS kv, index, bytes. Answers {entries, bytes}. */
    static final Scripts USAGE = new Scripts("""
            return {redis.call('HLEN', KEYS[1]), tonumber(redis.call('GET', KEYS[3]) or '0')}
            """);

    private final byte[] source;
    private final byte[] sha;

    private Scripts(String source) {
        this.source = source.getBytes(StandardCharsets.UTF_8);
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(this.source))
                    .getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-1", e);
        }
    }

    /** Runs the script by SHA, sending its source only when Redis does not have it. */
    List<?> run(Jedis redis, List<byte[]> keys, List<byte[]> args) {
        try {
            return (List<?>) redis.evalsha(sha, keys, args);
        } catch (JedisNoScriptException e) {
            return (List<?>) redis.eval(source, keys, args);
        }
    }
}
