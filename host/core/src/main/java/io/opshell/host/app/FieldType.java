package io.opshell.host.app;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The type of a {@link Field}: how its value is written for an operator and read back from what
 * an operator typed. A value that does not parse is refused with a message naming the type,
 * before the application sees it. To add a type: a constant here (name, parser, formatter).
 */
public final class FieldType<T> {
    public static final FieldType<String> STRING = new FieldType<>("string", s -> s, s -> s);
    public static final FieldType<Long> LONG = new FieldType<>("long", FieldType::parseLong, String::valueOf);
    public static final FieldType<Double> DOUBLE = new FieldType<>("double", FieldType::parseDouble, String::valueOf);
    public static final FieldType<Boolean> BOOLEAN = new FieldType<>("boolean", FieldType::parseBoolean, String::valueOf);
    /** A duration written {@code 250ms}, {@code 30s}, {@code 5m}, {@code 2h} (or ISO-8601, {@code PT30S}). */
    public static final FieldType<Duration> DURATION = new FieldType<>("duration", FieldType::parseDuration, FieldType::formatDuration);

    private static final Pattern SIMPLE_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private final String name;
    private final Function<String, T> parser;
    private final Function<T, String> formatter;

    private FieldType(String name, Function<String, T> parser, Function<T, String> formatter) {
        this.name = name;
        this.parser = parser;
        this.formatter = formatter;
    }

    /** One of an enum's constants, written in lower case with dashes ({@code WORKER_DELAY} → {@code worker-delay}). */
    public static <E extends Enum<E>> FieldType<E> enumOf(Class<E> type) {
        E[] constants = type.getEnumConstants();
        String choices = String.join("|", Arrays.stream(constants).map(FieldType::enumText).toList());
        return new FieldType<>("enum(" + choices + ")", text -> {
            for (E e : constants) {
                if (enumText(e).equals(text.trim().toLowerCase(Locale.ROOT))) {
                    return e;
                }
            }
            throw new IllegalArgumentException("expected one of " + choices.replace("|", ", ") + ", got '" + text + "'");
        }, FieldType::enumText);
    }

    /** The name operators see in listings: {@code long}, {@code enum(a|b)}, … */
    public String name() {
        return name;
    }

    /** The value of {@code text}; {@link IllegalArgumentException} with an operator's message when it is not one. */
    public T parse(String text) {
        return parser.apply(text);
    }

    public String format(T value) {
        return value == null ? "" : formatter.apply(value);
    }

    private static String enumText(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static Long parseLong(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a whole number, got '" + text + "'");
        }
    }

    private static Double parseDouble(String text) {
        try {
            double d = Double.parseDouble(text.trim());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a number, got '" + text + "'");
        }
    }

    private static Boolean parseBoolean(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got '" + text + "'");
        };
    }

    private static Duration parseDuration(String text) {
        String t = text.trim();
        Matcher m = SIMPLE_DURATION.matcher(t);
        try {
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            return Duration.parse(t);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("expected a duration such as 250ms, 30s, 5m or 2h, got '" + text + "'");
        }
    }

    private static String formatDuration(Duration d) {
        if (d.toMillisPart() != 0 || d.isZero()) {
            return d.toMillis() + "ms";
        }
        if (d.toSecondsPart() != 0) {
            return d.toSeconds() + "s";
        }
        return d.toMinutesPart() != 0 ? d.toMinutes() + "m" : d.toHours() + "h";
    }

    @Override
    public String toString() {
        return name;
    }
}
