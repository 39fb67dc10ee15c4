package io.opshell.server.demo;

import io.opshell.host.OpshellServer;
import io.opshell.host.app.Action;
import io.opshell.host.app.Field;
import io.opshell.host.app.FieldType;
import io.opshell.host.policy.Role;
import io.opshell.server.ServeCommand;
import picocli.CommandLine.Command;

/**
 * {@code opshell demo} ({@code scripts/demo}): the standalone server with {@link OrderService}
 * embedded, to try opshell on a live service. Takes every option of {@code serve}. Its
 * declarations are the model of an embedding: read them next to README.md, "Embedding".
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = io.opshell.server.VersionProvider.class,
        description = "Run a small order-processing service with opshell embedded (takes serve's options).")
public final class DemoCommand extends ServeCommand {
    private final OrderService orders = new OrderService();

    @Override
    protected OpshellServer.Builder customize(OpshellServer.Builder builder) {
        System.out.println("demo: an order queue with one worker; try: fields, call orders.enqueue 500, get orders.queue-depth,"
                + " set orders.worker-delay-ms 5");
        return builder
                .field(Field.of("orders.queue-depth", FieldType.LONG, orders::queueDepth).doc("orders waiting"))
                .field(Field.of("orders.processed", FieldType.LONG, orders::processed).doc("orders done since start"))
                .field(Field.of("orders.worker-delay-ms", FieldType.LONG, orders::delayMs).settable(orders::setDelayMs)
                        .check(ms -> ms >= 0 && ms <= 10_000 ? null : "must be between 0 and 10000")
                        .doc("pause before each order, ms"))
                .field(Field.of("flags.express", FieldType.BOOLEAN, orders::express).settable(orders::setExpress)
                        .doc("halve the worker's pause"))
                .action(Action.of("orders.enqueue", Role.READ_WRITE,
                        (who, arg) -> "queued; depth " + orders.enqueue(parseCount(arg))).doc("add N orders (1 to 100000)"))
                .action(Action.of("orders.drain", Role.ADMIN, (who, arg) -> "dropped " + orders.drain() + " orders")
                        .doc("drop every queued order"));
    }

    private static long parseCount(String arg) {
        try {
            return Long.parseLong(arg.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("usage: call orders.enqueue N (a number of orders)");
        }
    }
}
