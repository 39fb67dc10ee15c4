package io.opshell.store.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The Redis keys of one tenant, all under the store's prefix and sharing the hash tag
 * {@code {tenant}} (so a Redis Cluster keeps them in one slot, where one script may touch them):
 *
 * <pre>
 * PREFIX{TENANT}:counter   string   the counter (a decimal long)
 * PREFIX{TENANT}:kv        hash     key -> value
 * PREFIX{TENANT}:index     zset     every key, score 0: the ordered index ZRANGEBYLEX lists by prefix
 * PREFIX{TENANT}:bytes     string   bytes of keys and values (UTF-8); entries are HLEN of :kv
 * </pre>
 */
record TenantKeys(byte[] counter, byte[] kv, byte[] index, byte[] bytes) {
    static TenantKeys of(String prefix, String tenant) {
        String base = prefix + "{" + tenant + "}:";
        return new TenantKeys(utf8(base + "counter"), utf8(base + "kv"), utf8(base + "index"), utf8(base + "bytes"));
    }

    /** The keys an entry script touches, in the order the scripts expect them. */
    List<byte[]> entryKeys() {
        return List.of(kv, index, bytes);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
