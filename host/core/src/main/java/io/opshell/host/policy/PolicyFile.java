package io.opshell.host.policy;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.opshell.host.SessionLimits;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a policy from YAML (format in README.md, example in {@code host/policy.example.yaml}).
 * Every mistake is reported with the file, the line and column, the profile and field it is in;
 * unknown fields are mistakes too, so a typo never silently widens or narrows what an operator may
 * do. Where to change: a new field goes into the known-field sets and {@link #profile}; its
 * errors are thrown as {@link Mistake} with the field's JSON pointer, which {@link #load} turns
 * into a line and column.
 */
public final class PolicyFile {
    /** Tenant names: what a store namespace may be called. */
    static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final Set<String> TOP = Set.of("unknown", "connections-per-second-per-peer", "profiles");
    private static final Set<String> PROFILE = Set.of("name", "uids", "groups", "role", "tenants", "default-tenant",
            "shells", "limits");
    private static final Set<String> LIMITS = Set.of("sessions", "commands-per-second", "bytes-per-second", "step-ms",
            "memory-mib", "output-kib", "idle-timeout-s", "max-session-s", "store-mib");
    private static final String EXAMPLE = "host/policy.example.yaml";

    /** A mistake at a place in the document, named by its JSON pointer (e.g. {@code /profiles/0/role}). */
    static final class Mistake extends IllegalArgumentException {
        final String pointer;

        Mistake(String pointer, String message) {
            super(message);
            this.pointer = pointer;
        }
    }

    private PolicyFile() {}

    /**
     * @param serverLimits the limits a profile gets where it sets none (and may not exceed for memory)
     * @throws PolicyException naming the file, the place and the problem
     */
    public static Policy load(Path file, SessionLimits serverLimits) throws PolicyException {
        String where = "policy " + file;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PolicyException(where + ": no such file; create it (" + EXAMPLE + " is an example) or fix the path");
        } catch (AccessDeniedException e) {
            throw new PolicyException(where + ": cannot read it (permission denied); let the server's user ("
                    + System.getProperty("user.name") + ") read it");
        } catch (IOException e) {
            throw new PolicyException(where + ": cannot read it (" + (Files.isDirectory(file) ? "a directory" : e.getMessage())
                    + "); give the path of a YAML file");
        }
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new PolicyException(where + syntaxError(e) + "; fix the YAML there");
        } catch (IOException e) {
            throw new PolicyException(where + ": cannot be read as YAML (" + e.getMessage() + ")");
        }
        try {
            return parse(root, serverLimits);
        } catch (Mistake e) {
            throw new PolicyException(where + at(locate(bytes, e.pointer)) + ": " + e.getMessage());
        }
    }

    /** " line L, column C: problem (context)" from the YAML parser's error. */
    private static String syntaxError(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
            Mark m = y.getProblemMark();
            String context = y.getContext() == null ? "" : " (" + y.getContext() + ")";
            return " line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ": " + y.getProblem() + context;
        }
        JsonLocation l = e.getLocation();
        return at(Optional.ofNullable(l)) + ": " + firstLine(e.getOriginalMessage());
    }

    private static String at(Optional<JsonLocation> l) {
        return l.filter(x -> x.getLineNr() > 0)
                .map(x -> " line " + x.getLineNr() + ", column " + x.getColumnNr()).orElse("");
    }

    /**
     * Where the node at {@code pointer} (or the nearest enclosing one) starts: a scalar's value, a
     * mapping's or list's key. The tree has no positions, so the bytes are read once more as tokens.
     */
    static Optional<JsonLocation> locate(byte[] yaml, String pointer) {
        Map<String, JsonLocation> places = new HashMap<>();
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            for (JsonToken t; (t = p.nextToken()) != null; ) {
                String at = p.getParsingContext().pathAsPointer().toString();
                if (t.isScalarValue()) {
                    places.put(at, p.currentTokenLocation());
                } else {
                    places.putIfAbsent(at, p.currentTokenLocation());
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        for (String at = pointer; ; at = at.substring(0, at.lastIndexOf('/'))) {
            if (places.containsKey(at)) {
                return Optional.of(places.get(at));
            }
            if (at.isEmpty()) {
                return Optional.empty();
            }
        }
    }

    static Policy parse(JsonNode root, SessionLimits serverLimits) {
        if (root == null || !root.isObject()) {
            throw new Mistake("", "expected a mapping with 'profiles' (see " + EXAMPLE + ")");
        }
        onlyKnown(root, "", TOP, "top level");
        List<Profile> profiles = new ArrayList<>();
        JsonNode list = root.path("profiles");
        if (!list.isArray() || list.isEmpty()) {
            throw new Mistake("/profiles", "'profiles' must be a non-empty list");
        }
        for (int i = 0; i < list.size(); i++) {
            Profile p = profile(list.get(i), "/profiles/" + i, serverLimits);
            if (profiles.stream().anyMatch(q -> q.name().equals(p.name()))) {
                throw new Mistake("/profiles/" + i + "/name", "profile '" + p.name() + "' is defined twice");
            }
            profiles.add(p);
        }
        String unknown = text(root, "", "unknown", "refuse", "top level");
        Optional<String> unknownProfile = unknown.equals("refuse") ? Optional.empty() : Optional.of(unknown);
        if (unknownProfile.isPresent() && profiles.stream().noneMatch(p -> p.name().equals(unknown))) {
            throw new Mistake("/unknown", "unknown: '" + unknown + "' is neither 'refuse' nor a profile name");
        }
        double perPeer = number(root, "", "connections-per-second-per-peer", 10, "top level");
        return new Policy(List.copyOf(profiles), unknownProfile, perPeer);
    }

    private static Profile profile(JsonNode node, String at, SessionLimits server) {
        if (!node.isObject()) {
            throw new Mistake(at, "each profile must be a mapping with name, role and tenants");
        }
        String name = text(node, at, "name", null, "a profile");
        String where = "profile '" + name + "'";
        onlyKnown(node, at, PROFILE, where);
        Set<Long> uids = new LinkedHashSet<>();
        List<String> uidTexts = strings(node, at, "uids", where);
        for (int i = 0; i < uidTexts.size(); i++) {
            try {
                uids.add(Long.parseLong(uidTexts.get(i)));
            } catch (NumberFormatException e) {
                throw new Mistake(at + "/uids/" + i, where + ": uid '" + uidTexts.get(i)
                        + "' is not a number; list uids as numbers (id -u NAME prints one)");
            }
        }
        Set<String> groups = new LinkedHashSet<>(strings(node, at, "groups", where));
        Role role;
        try {
            role = Role.parse(text(node, at, "role", null, where));
        } catch (Mistake e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new Mistake(at + "/role", where + ": " + e.getMessage());
        }
        List<String> tenants = strings(node, at, "tenants", where);
        if (tenants.isEmpty()) {
            throw new Mistake(at + "/tenants", where + ": 'tenants' must list at least one tenant");
        }
        for (int i = 0; i < tenants.size(); i++) {
            if (!TENANT.matcher(tenants.get(i)).matches()) {
                throw new Mistake(at + "/tenants/" + i, where + ": tenant '" + tenants.get(i)
                        + "' must be 1-64 letters, digits, '.', '_' or '-'");
            }
        }
        String defaultTenant = text(node, at, "default-tenant", tenants.get(0), where);
        if (!tenants.contains(defaultTenant)) {
            throw new Mistake(at + "/default-tenant", where + ": default-tenant '" + defaultTenant + "' is not in its tenants");
        }
        Set<String> shells = new LinkedHashSet<>(strings(node, at, "shells", where));

        JsonNode limits = node.path("limits");
        String la = at + "/limits";
        String lw = where + " limits";
        if (!limits.isMissingNode()) {
            if (!limits.isObject()) {
                throw new Mistake(la, lw + ": must be a mapping, e.g. {sessions: 2}");
            }
            onlyKnown(limits, la, LIMITS, lw);
        }
        long memoryMib = (long) positive(limits, la, "memory-mib", server.maxMemoryBytes() >> 20, lw);
        if (memoryMib << 20 > server.maxMemoryBytes()) {
            throw new Mistake(la + "/memory-mib", lw + ": memory-mib " + memoryMib + " is above the server's limit of "
                    + (server.maxMemoryBytes() >> 20) + " (--memory-mib)");
        }
        SessionLimits sessionLimits = server
                .withStepDeadline(Duration.ofMillis((long) positive(limits, la, "step-ms", server.stepDeadline().toMillis(), lw)))
                .withMaxMemoryBytes(memoryMib << 20)
                .withMaxOutputBytesPerStep(Math.toIntExact(
                        (long) positive(limits, la, "output-kib", server.maxOutputBytesPerStep() >> 10, lw) << 10))
                .withIdleTimeout(Duration.ofSeconds(
                        (long) positive(limits, la, "idle-timeout-s", server.idleTimeout().toSeconds(), lw)))
                .withMaxSessionLength(Duration.ofSeconds(
                        (long) positive(limits, la, "max-session-s", server.maxSessionLength().toSeconds(), lw)));
        if (limits.has("store-mib")) {
            // Bytes of keys and values a tenant may hold when this profile writes to it.
            double mib = positive(limits, la, "store-mib", 0, lw);
            if (mib * (1 << 20) >= Long.MAX_VALUE) {
                throw new Mistake(la + "/store-mib", lw + ": 'store-mib' is too large");
            }
            sessionLimits = sessionLimits.withTenantQuota(server.tenantQuota().withMaxBytes(Math.max(1, (long) (mib * (1 << 20)))));
        }
        int sessions = (int) positive(limits, la, "sessions", 8, lw);
        double commands = positive(limits, la, "commands-per-second", 100, lw);
        double bytes = positive(limits, la, "bytes-per-second", 1 << 20, lw);
        return new Profile(name, Set.copyOf(uids), Set.copyOf(groups), role, List.copyOf(tenants), defaultTenant,
                Set.copyOf(shells), sessions, commands, bytes, sessionLimits);
    }

    private static void onlyKnown(JsonNode node, String at, Set<String> known, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new Mistake(at + "/" + f, where + ": unknown field '" + f + "' (known: " + String.join(", ",
                        known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String text(JsonNode node, String at, String field, String fallback, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new Mistake(at, where + ": '" + field + "' is required");
            }
            return fallback;
        }
        if (!v.isValueNode()) {
            throw new Mistake(at + "/" + field, where + ": '" + field + "' must be a single value");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode node, String at, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new Mistake(at + "/" + field, where + ": '" + field + "' must be a list, e.g. [a, b]");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode item = v.get(i);
            if (!item.isValueNode()) {
                throw new Mistake(at + "/" + field + "/" + i, where + ": '" + field + "' must list plain values");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static double number(JsonNode node, String at, String field, double fallback, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || v.asDouble() <= 0) {
            throw new Mistake(at + "/" + field, where + ": '" + field + "' must be a positive number");
        }
        return v.asDouble();
    }

    private static double positive(JsonNode node, String at, String field, double fallback, String where) {
        return node.isMissingNode() ? fallback : number(node, at, field, fallback, where);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "cannot be read";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
