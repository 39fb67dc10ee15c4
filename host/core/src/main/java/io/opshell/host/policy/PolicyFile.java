package io.opshell.host.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.opshell.host.SessionLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a policy from YAML (format in README.md, example in {@code host/policy.example.yaml}).
 * Every mistake is reported with the profile and field it is in; unknown fields are mistakes too,
 * so a typo never silently widens or narrows what an operator may do.
 */
public final class PolicyFile {
    /** Tenant names: what a store namespace may be called. */
    static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final Set<String> TOP = Set.of("unknown", "connections-per-second-per-peer", "profiles");
    private static final Set<String> PROFILE = Set.of("name", "uids", "groups", "role", "tenants", "default-tenant",
            "shells", "limits");
    private static final Set<String> LIMITS = Set.of("sessions", "commands-per-second", "bytes-per-second", "step-ms",
            "memory-mib", "output-kib", "idle-timeout-s", "max-session-s", "store-mib");

    private PolicyFile() {}

    /**
     * @param serverLimits the limits a profile gets where it sets none (and may not exceed for memory)
     * @throws PolicyException naming the file, the place and the problem
     */
    public static Policy load(Path file, SessionLimits serverLimits) throws PolicyException {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new PolicyException("policy " + file + ": " + firstLine(e.getMessage()));
        }
        try {
            return parse(root, serverLimits);
        } catch (IllegalArgumentException e) {
            throw new PolicyException("policy " + file + ": " + e.getMessage());
        }
    }

    static Policy parse(JsonNode root, SessionLimits serverLimits) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("expected a mapping with 'profiles'");
        }
        onlyKnown(root, TOP, "top level");
        List<Profile> profiles = new ArrayList<>();
        JsonNode list = root.path("profiles");
        if (!list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException("'profiles' must be a non-empty list");
        }
        for (JsonNode node : list) {
            Profile p = profile(node, serverLimits);
            if (profiles.stream().anyMatch(q -> q.name().equals(p.name()))) {
                throw new IllegalArgumentException("profile '" + p.name() + "' is defined twice");
            }
            profiles.add(p);
        }
        String unknown = text(root, "unknown", "refuse", "top level");
        Optional<String> unknownProfile = unknown.equals("refuse") ? Optional.empty() : Optional.of(unknown);
        if (unknownProfile.isPresent() && profiles.stream().noneMatch(p -> p.name().equals(unknown))) {
            throw new IllegalArgumentException("unknown: '" + unknown + "' is neither 'refuse' nor a profile name");
        }
        double perPeer = number(root, "connections-per-second-per-peer", 10, "top level");
        return new Policy(List.copyOf(profiles), unknownProfile, perPeer);
    }

    private static Profile profile(JsonNode node, SessionLimits server) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("each profile must be a mapping");
        }
        String name = text(node, "name", null, "a profile");
        String where = "profile '" + name + "'";
        onlyKnown(node, PROFILE, where);
        Set<Long> uids = new LinkedHashSet<>();
        for (String uid : strings(node, "uids", where)) {
            try {
                uids.add(Long.parseLong(uid));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": uid '" + uid + "' is not a number");
            }
        }
        Set<String> groups = new LinkedHashSet<>(strings(node, "groups", where));
        Role role;
        try {
            role = Role.parse(text(node, "role", null, where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
        List<String> tenants = strings(node, "tenants", where);
        if (tenants.isEmpty()) {
            throw new IllegalArgumentException(where + ": 'tenants' must list at least one tenant");
        }
        for (String t : tenants) {
            if (!TENANT.matcher(t).matches()) {
                throw new IllegalArgumentException(where + ": tenant '" + t + "' must be 1-64 letters, digits, '.', '_' or '-'");
            }
        }
        String defaultTenant = text(node, "default-tenant", tenants.get(0), where);
        if (!tenants.contains(defaultTenant)) {
            throw new IllegalArgumentException(where + ": default-tenant '" + defaultTenant + "' is not in its tenants");
        }
        Set<String> shells = new LinkedHashSet<>(strings(node, "shells", where));

        JsonNode limits = node.path("limits");
        String lw = where + " limits";
        if (!limits.isMissingNode()) {
            if (!limits.isObject()) {
                throw new IllegalArgumentException(lw + ": must be a mapping");
            }
            onlyKnown(limits, LIMITS, lw);
        }
        long memoryMib = (long) positive(limits, "memory-mib", server.maxMemoryBytes() >> 20, lw);
        if (memoryMib << 20 > server.maxMemoryBytes()) {
            throw new IllegalArgumentException(lw + ": memory-mib " + memoryMib + " is above the server's limit of "
                    + (server.maxMemoryBytes() >> 20));
        }
        SessionLimits sessionLimits = server
                .withStepDeadline(Duration.ofMillis((long) positive(limits, "step-ms", server.stepDeadline().toMillis(), lw)))
                .withMaxMemoryBytes(memoryMib << 20)
                .withMaxOutputBytesPerStep(Math.toIntExact(
                        (long) positive(limits, "output-kib", server.maxOutputBytesPerStep() >> 10, lw) << 10))
                .withIdleTimeout(Duration.ofSeconds((long) positive(limits, "idle-timeout-s", server.idleTimeout().toSeconds(), lw)))
                .withMaxSessionLength(Duration.ofSeconds(
                        (long) positive(limits, "max-session-s", server.maxSessionLength().toSeconds(), lw)));
        if (limits.has("store-mib")) {
            // Bytes of keys and values a tenant may hold when this profile writes to it.
            double mib = number(limits, "store-mib", 0, lw);
            if (mib * (1 << 20) >= Long.MAX_VALUE) {
                throw new IllegalArgumentException(lw + ": 'store-mib' is too large");
            }
            sessionLimits = sessionLimits.withTenantQuota(server.tenantQuota().withMaxBytes(Math.max(1, (long) (mib * (1 << 20)))));
        }
        int sessions = (int) positive(limits, "sessions", 8, lw);
        double commands = positive(limits, "commands-per-second", 100, lw);
        double bytes = positive(limits, "bytes-per-second", 1 << 20, lw);
        return new Profile(name, Set.copyOf(uids), Set.copyOf(groups), role, List.copyOf(tenants), defaultTenant,
                Set.copyOf(shells), sessions, commands, bytes, sessionLimits);
    }

    private static void onlyKnown(JsonNode node, Set<String> known, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "' (known: " + String.join(", ",
                        known.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String text(JsonNode node, String field, String fallback, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (fallback == null) {
                throw new IllegalArgumentException(where + ": '" + field + "' is required");
            }
            return fallback;
        }
        if (!v.isValueNode()) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a single value");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a list, e.g. [a, b]");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isValueNode()) {
                throw new IllegalArgumentException(where + ": '" + field + "' must list plain values");
            }
            out.add(item.asText());
        }
        return out;
    }

    private static double number(JsonNode node, String field, double fallback, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber() || v.asDouble() <= 0) {
            throw new IllegalArgumentException(where + ": '" + field + "' must be a positive number");
        }
        return v.asDouble();
    }

    private static double positive(JsonNode node, String field, double fallback, String where) {
        return node.isMissingNode() ? fallback : number(node, field, fallback, where);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "cannot be read";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
