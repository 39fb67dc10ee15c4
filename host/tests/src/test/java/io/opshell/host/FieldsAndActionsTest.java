package io.opshell.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opshell.host.app.Action;
import io.opshell.host.app.Field;
import io.opshell.host.app.FieldType;
import io.opshell.host.policy.Role;
import io.opshell.host.support.TestServer;
import io.opshell.host.support.UserClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An application's declared fields and actions, reached by real Unix users (setpriv + socat) with
 * the same role and tenant rules as keys: types and checks, the application's own messages
 * verbatim, read-only vs read-write vs admin, tenants, and the audit records of every change and
 * call.
 */
class FieldsAndActionsTest {
    static final long READER = 4301, WRITER = 4302, ADMIN = 4303;
    static final String POLICY = """
            profiles:
              - name: reader
                uids: [4301]
                role: read-only
                tenants: [alpha]
              - name: writer
                uids: [4302]
                role: read-write
                tenants: [alpha, beta]
              - name: admin
                uids: [4303]
                role: admin
                tenants: [alpha]
            """;

    enum Mode { FAST, CAREFUL }

    final AtomicLong delayMs = new AtomicLong(100);
    final AtomicLong queued = new AtomicLong(7);
    final AtomicBoolean express = new AtomicBoolean();
    volatile Mode mode = Mode.FAST;
    volatile Duration timeout = Duration.ofSeconds(30);
    Path dir;
    Path audit;
    TestServer ts;

    @BeforeEach
    void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "access tests switch users with setpriv: run as root");
        dir = Files.createTempDirectory("opsh-fields");
        Path policy = dir.resolve("policy.yaml");
        audit = dir.resolve("audit.jsonl");
        Files.writeString(policy, POLICY);
        ts = TestServer.startShared(OpshellServer.builder().policyFile(policy).audit(audit, false)
                .field(Field.of("orders.worker-delay-ms", FieldType.LONG, delayMs::get).settable(delayMs::set)
                        .check(ms -> ms >= 0 && ms <= 10_000 ? null : "must be between 0 and 10000")
                        .doc("pause between two orders"))
                .field(Field.of("orders.queue-depth", FieldType.LONG, queued::get).doc("orders waiting"))
                .field(Field.of("flags.express", FieldType.BOOLEAN, express::get).settable(express::set).doc("express lane"))
                .field(Field.of("orders.mode", FieldType.enumOf(Mode.class), () -> mode).settable(m -> mode = m))
                .field(Field.of("orders.timeout", FieldType.DURATION, () -> timeout).settable(t -> {
                    if (t.isZero()) {
                        throw new IllegalArgumentException("a zero timeout would drop every order");
                    }
                    timeout = t;
                }))
                .field(Field.of("alpha.only", FieldType.STRING, () -> "alpha's").tenant("alpha"))
                .action(Action.of("orders.peek", Role.READ_ONLY, (who, arg) -> queued.get() + " queued").doc("look"))
                .action(Action.of("orders.enqueue", Role.READ_WRITE, (who, arg) -> {
                    queued.addAndGet(Long.parseLong(arg.trim()));
                    return "queued " + arg.trim();
                }).doc("add N orders"))
                .action(Action.of("orders.drain", Role.ADMIN, (who, arg) -> "drained " + queued.getAndSet(0)).doc("drop the queue"))
                .action(Action.of("orders.explode", Role.READ_WRITE, (who, arg) -> {
                    throw new IllegalStateException("the queue is on fire");
                })));
    }

    @AfterEach
    void stop() throws Exception {
        if (ts != null) {
            ts.close();
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    private String as(long uid, String input) throws Exception {
        return UserClient.session(ts.socket(), uid, uid, "\\mode plain\n" + input);
    }

    @Test
    void fieldsAreReadAndSetLikeKeysWithTypesAndTheApplicationsOwnMessages() throws Exception {
        assertThat(as(WRITER, """
                get orders.worker-delay-ms
                set orders.worker-delay-ms 20000
                set orders.worker-delay-ms soon
                set orders.worker-delay-ms 250
                get orders.worker-delay-ms
                set orders.queue-depth 0
                del orders.worker-delay-ms
                set flags.express yes
                get flags.express
                set orders.mode careful
                set orders.mode reckless
                set orders.timeout 0s
                set orders.timeout 90s
                get orders.timeout
                """)).isEqualTo("""
                100
                error: set orders.worker-delay-ms: must be between 0 and 10000
                error: set orders.worker-delay-ms: expected a whole number, got 'soon'
                ok
                250
                error: set orders.queue-depth: a read-only field
                error: del orders.worker-delay-ms: orders.worker-delay-ms is a field; fields cannot be deleted
                ok
                true
                ok
                error: set orders.mode: expected one of fast, careful, got 'reckless'
                error: set orders.timeout: a zero timeout would drop every order
                ok
                90s
                """);
        assertThat(delayMs.get()).isEqualTo(250);
        assertThat(express.get()).isTrue();
        assertThat(mode).isEqualTo(Mode.CAREFUL);
        assertThat(timeout).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void rolesApplyToFieldsAndActionsAsToKeys() throws Exception {
        assertThat(as(READER, """
                get orders.worker-delay-ms
                set orders.worker-delay-ms 5
                call orders.peek
                call orders.enqueue 3
                call orders.nothing
                """)).isEqualTo("""
                100
                error: set orders.worker-delay-ms: permission denied: changing orders.worker-delay-ms needs the read-write role; yours is read-only
                7 queued
                error: call orders.enqueue: permission denied: orders.enqueue needs the read-write role; yours is read-only
                error: call orders.nothing: no action named orders.nothing; see fields
                """);
        assertThat(as(WRITER, "call orders.enqueue 3\ncall orders.drain\ncall orders.explode\n")).isEqualTo("""
                queued 3
                error: call orders.drain: permission denied: orders.drain needs the admin role; yours is read-write
                error: call orders.explode: the queue is on fire
                """);
        assertThat(as(ADMIN, "call orders.drain\ncall orders.peek\n")).isEqualTo("drained 10\n0 queued\n");
        assertThat(delayMs.get()).isEqualTo(100);
    }

    @Test
    void aTenantsOwnFieldsAreSeenOnlyThere() throws Exception {
        String out = as(WRITER, "get alpha.only\nfields alpha.\n\\tenant beta\nget alpha.only\nfields alpha.\n");
        assertThat(out).startsWith("alpha's\nalpha.only  string, read-only  \n")
                .endsWith("opshell: tenant beta\nerror: no such key: alpha.only\n");
    }

    @Test
    void fieldsListsTypesAccessRolesAndDocs() throws Exception {
        assertThat(as(READER, "fields orders.\n")).isEqualTo("""
                orders.drain            action, needs admin  drop the queue
                orders.enqueue          action, needs read-write  add N orders
                orders.explode          action, needs read-write \s
                orders.mode             enum(fast|careful), read-write \s
                orders.peek             action, needs read-only  look
                orders.queue-depth      long, read-only  orders waiting
                orders.timeout          duration, read-write \s
                orders.worker-delay-ms  long, read-write  pause between two orders
                """);
    }

    @Test
    void theHostCompletesFieldNamesWithKeysAndActionNamesAfterCall() throws Exception {
        assertThat(as(WRITER, "set orders.note hello\n\\complete get orders.\n\\complete call orders.\n\\complete del orders.\n"))
                .isEqualTo("""
                        ok
                        orders.mode
                        orders.queue-depth
                        orders.timeout
                        orders.worker-delay-ms
                        orders.note
                        orders.drain
                        orders.enqueue
                        orders.explode
                        orders.peek
                        orders.note
                        """);
    }

    @Test
    void theSchemeShellReachesTheSameFieldsAndActions() throws Exception {
        String out = as(WRITER, """
                \\shell scheme
                (kv-get "orders.worker-delay-ms")
                (kv-set! "orders.worker-delay-ms" 20000)
                (kv-set! "orders.worker-delay-ms" 42)
                (call "orders.enqueue" 2)
                (map car (fields "flags."))
                """);
        assertThat(out).isEqualTo("""
                opshell: shell scheme
                "100"
                error: kv-set!: must be between 0 and 10000
                "queued 2"
                ("flags.express")
                """);
        assertThat(delayMs.get()).isEqualTo(42);
    }

    @Test
    void everyFieldChangeAndCallIsAuditedWithOldAndNewValues() throws Exception {
        as(WRITER, "set orders.worker-delay-ms 300\nset orders.worker-delay-ms 99999\ncall orders.enqueue 1\ncall orders.drain\n");
        as(ADMIN, "call orders.explode\n");
        ObjectMapper json = new ObjectMapper();
        List<String> records = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            JsonNode r = json.readTree(line);
            switch (r.get("event").asText()) {
                case "field" -> records.add("field " + r.get("uid").asLong() + " " + r.get("field").asText() + " "
                        + r.get("old").asText() + " -> " + r.get("new").asText());
                case "call" -> records.add("call " + r.get("uid").asLong() + " " + r.get("action").asText() + " '"
                        + r.get("argument").asText() + "'");
                case "called" -> records.add("called " + r.get("action").asText() + " " + r.get("outcome").asText());
                case "denied" -> records.add("denied " + r.get("uid").asLong() + " " + r.get("what").asText());
                default -> { }
            }
        }
        assertThat(records).containsExactly(
                "field 4302 orders.worker-delay-ms 100 -> 300",
                "call 4302 orders.enqueue '1'", "called orders.enqueue ok",
                "denied 4302 call orders.drain",
                "call 4303 orders.explode ''", "called orders.explode error: the queue is on fire");
    }
}
