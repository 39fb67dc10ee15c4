package io.opshell.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sizes, order and prefix bounds agree with UTF-8 bytes, which is what SQLite and Redis compare. */
class StoredTextTest {
    private static final List<String> SAMPLES = List.of("", "a", "A", "é", "\u00ff", "\u07ff", "\u0800", "\uD7FF", "\uE000",
            "\uFFFF", "\uD800\uDC00", "\uD83D\uDE00", "\uDBFF\uDFFF", "a\uFFFF", "a\uD83D\uDE00", "%", "_", "日本");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void lengthIsTheUtf8Length() {
        for (String s : SAMPLES) {
            assertThat(StoredText.utf8Length(s)).as("'%s'", s).isEqualTo(utf8(s).length);
        }
    }

    @Test
    void orderIsTheOrderOfUtf8Bytes() {
        Random random = new Random(42);
        List<String> strings = new ArrayList<>(SAMPLES);
        for (int i = 0; i < 2_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int n = random.nextInt(4); n >= 0; n--) {
                b.append(SAMPLES.get(random.nextInt(SAMPLES.size())));
            }
            strings.add(b.toString());
        }
        for (int i = 0; i + 1 < strings.size(); i++) {
            String a = strings.get(i), b = strings.get(i + 1);
            assertThat(Integer.signum(StoredText.compare(a, b))).as("'%s' vs '%s'", a, b)
                    .isEqualTo(Integer.signum(Arrays.compareUnsigned(utf8(a), utf8(b))));
        }
    }

    @Test
    void prefixUpperBoundIsTheLeastStringAboveEveryExtension() {
        assertThat(StoredText.prefixUpperBound("")).isEmpty();
        assertThat(StoredText.prefixUpperBound("ab")).contains("ac");
        assertThat(StoredText.prefixUpperBound("a%")).contains("a&");
        assertThat(StoredText.prefixUpperBound("a\uD7FF")).contains("a\uE000");
        assertThat(StoredText.prefixUpperBound("a\uFFFF")).contains("a\uD800\uDC00");
        assertThat(StoredText.prefixUpperBound("a\uDBFF\uDFFF")).contains("b");
        assertThat(StoredText.prefixUpperBound("\uDBFF\uDFFF\uDBFF\uDFFF")).isEmpty();
        for (String prefix : SAMPLES) {
            if (prefix.isEmpty() || prefix.equals("\uDBFF\uDFFF")) {
                continue; // no bound: every string at or above these starts with them
            }
            String bound = StoredText.prefixUpperBound(prefix).orElseThrow();
            for (String tail : SAMPLES) {
                assertThat(StoredText.compare(prefix + tail, bound)).as("'%s' + '%s' below '%s'", prefix, tail, bound).isNegative();
            }
        }
    }
}
