package io.opshell.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opshell.host.SetupException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves the Prometheus text format at {@code http://HOST:PORT/metrics} ({@code --metrics-listen};
 * off by default), with the JDK's own HTTP server: one thread, GET only. Anything else is 404 or
 * 405. Where to change the content: the meters are made in {@code OpshellMetrics} (opshell's) and
 * {@link ServeCommand} (the JVM's).
 */
final class MetricsEndpoint implements AutoCloseable {
    static final String PATH = "/metrics";
    /** Prometheus text exposition format 0.0.4, what every scraper accepts. */
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final int STOP_DELAY_SECONDS = 0;

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static MetricsEndpoint start(ListenAddress at, PrometheusMeterRegistry registry) throws SetupException {
        InetSocketAddress address = at.socketAddress();
        if (address.isUnresolved()) {
            throw new SetupException("metrics-listen", at.toString(), "cannot resolve host " + at.host()
                    + "; give an address such as 127.0.0.1");
        }
        HttpServer server;
        try {
            server = HttpServer.create(address, 0);
        } catch (BindException e) {
            throw new SetupException("metrics-listen", at.toString(), "cannot listen there (" + e.getMessage()
                    + "); choose another port or address");
        } catch (IOException e) {
            throw new SetupException("metrics-listen", at.toString(), "cannot listen there (" + e.getMessage() + ")");
        }
        server.createContext("/", exchange -> serve(exchange, registry));
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("opshell-metrics")
                .unstarted(r));
        server.setExecutor(executor);
        server.start();
        return new MetricsEndpoint(server, executor);
    }

    private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
        try (exchange) {
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                reply(exchange, 404, "text/plain; charset=utf-8", "not found; metrics are at " + PATH + "\n");
            } else if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(exchange, 405, "text/plain; charset=utf-8", "use GET\n");
            } else {
                reply(exchange, 200, CONTENT_TYPE, registry.scrape());
            }
        }
    }

    private static void reply(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The address actually bound (the port is known here when 0 was asked for). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(STOP_DELAY_SECONDS);
        executor.shutdownNow();
    }
}
