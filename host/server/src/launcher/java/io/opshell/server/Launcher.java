package io.opshell.server;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The jar's entry point, compiled for Java 8 so that it runs on whatever {@code java} a machine
 * has. On Java 21 or newer it hands straight over to {@code OpshellCli} in the same process (the
 * usual case, and the only one a service should use). On an older Java it looks for a JDK 21+
 * ({@code OPSHELL_JAVA_HOME}, {@code JAVA_HOME}, then {@code /usr/lib/jvm/*}, newest first), runs the
 * same jar and arguments there as a child process with the same standard streams, passes SIGHUP,
 * SIGINT and SIGTERM on to it, and exits with its status. Without one it says what to install.
 *
 * <p>Why a class and not only a script: {@code java -jar opshell.jar} is what people type, and a
 * script beside the jar would leave that failing with UnsupportedClassVersionError. This file is
 * built by its own compiler execution ({@code host/server/pom.xml}, release 8) and must not use
 * anything newer; it refers to the rest of the server only by name.
 */
public final class Launcher {
    /** The Java feature release the server is compiled for. */
    private static final int REQUIRED = 21;
    private static final String CLI = "io.opshell.server.OpshellCli";
    /** Set in the child's environment, so that a relaunch can never loop. */
    private static final String RELAUNCHED = "OPSHELL_RELAUNCHED";
    private static final String[] FORWARDED_SIGNALS = {"HUP", "INT", "TERM"};

    private Launcher() {}

    public static void main(String[] args) throws Exception {
        int running = feature(System.getProperty("java.specification.version"));
        if (running >= REQUIRED) {
            runHere(args);
            return;
        }
        if (System.getenv(RELAUNCHED) != null) {
            fail("the relaunched Java is " + running + ", not " + REQUIRED + "+; set OPSHELL_JAVA_HOME to a JDK " + REQUIRED
                    + " or newer");
        }
        File javaHome = findJdk();
        if (javaHome == null) {
            fail("opshell needs Java " + REQUIRED + " or newer; this is Java " + running + " ("
                    + System.getProperty("java.home") + ") and none was found in OPSHELL_JAVA_HOME, JAVA_HOME or /usr/lib/jvm;"
                    + " install one (e.g. Temurin " + REQUIRED + "+) or set OPSHELL_JAVA_HOME");
        }
        System.exit(relaunch(javaHome, args));
    }

    private static void runHere(String[] args) throws Exception {
        Method main = Class.forName(CLI).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    /** "1.8" is 8, "17" is 17. */
    static int feature(String version) {
        if (version == null) {
            return 0;
        }
        String v = version.startsWith("1.") ? version.substring(2) : version;
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }

    /** An explicitly named JDK (the first that qualifies) wins; otherwise the newest under /usr/lib/jvm. */
    private static File findJdk() {
        for (String var : new String[] {"OPSHELL_JAVA_HOME", "JAVA_HOME"}) {
            String v = System.getenv(var);
            if (v != null && !v.isEmpty() && usable(new File(v))) {
                return new File(v);
            }
        }
        File[] installed = new File("/usr/lib/jvm").listFiles();
        File best = null;
        for (File home : installed == null ? new File[0] : installed) {
            if (usable(home) && (best == null || releaseOf(home) > releaseOf(best))) {
                best = home;
            }
        }
        return best;
    }

    private static boolean usable(File home) {
        return releaseOf(home) >= REQUIRED && new File(home, "bin/java").canExecute();
    }

    /** The feature release a JDK declares in its {@code release} file; 0 if it has none. */
    private static int releaseOf(File home) {
        File release = new File(home, "release");
        if (!release.isFile()) {
            return 0;
        }
        Properties p = new Properties();
        try (InputStream in = new FileInputStream(release)) {
            p.load(in);
        } catch (IOException e) {
            return 0;
        }
        String v = p.getProperty("JAVA_VERSION", "").replace("\"", "");
        return feature(v);
    }

    private static int relaunch(File javaHome, String[] args) throws Exception {
        String jar = new File(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        List<String> command = new ArrayList<String>();
        command.add(new File(javaHome, "bin/java").getPath());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-D") || option.startsWith("-X")) {
                command.add(option); // system properties and heap settings carry over
            }
        }
        command.add("-jar");
        command.add(jar);
        command.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
        pb.environment().put(RELAUNCHED, "1");
        final Process child = pb.start();
        forwardSignals(child);
        // If this JVM is stopped some other way, do not leave the server running.
        Runtime.getRuntime().addShutdownHook(new Thread(new Runnable() {
            @Override
            public void run() {
                child.destroy();
            }
        }));
        return child.waitFor();
    }

    /**
     * Passes each signal on with kill(1). sun.misc.Signal exists from Java 6 to today but is not in
     * Java 8's compile-time API, so it is reached by reflection.
     */
    private static void forwardSignals(final Process child) {
        final long pid = pidOf(child);
        if (pid <= 0) {
            return;
        }
        try {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Method getName = signalClass.getMethod("getName");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            InvocationHandler forward = new InvocationHandler() {
                @Override
                public Object invoke(Object proxy, Method method, Object[] a) throws Throwable {
                    if (method.getName().equals("handle")) {
                        String name = (String) getName.invoke(a[0]);
                        new ProcessBuilder("kill", "-s", name, Long.toString(pid)).inheritIO().start().waitFor();
                        return null;
                    }
                    return method.invoke(this, a); // Object's methods
                }
            };
            Object handler = Proxy.newProxyInstance(Launcher.class.getClassLoader(), new Class<?>[] {handlerClass}, forward);
            for (String name : FORWARDED_SIGNALS) {
                try {
                    handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
                } catch (InvocationTargetException e) {
                    // the JVM keeps this one (e.g. -Xrs); the default action applies
                }
            }
        } catch (ReflectiveOperationException e) {
            // no sun.misc.Signal: Ctrl-C still reaches both processes, SIGTERM stops the child via the hook
        }
    }

    /** Process.pid() from Java 9; the UNIXProcess field before. */
    private static long pidOf(Process p) {
        try {
            return (Long) Process.class.getMethod("pid").invoke(p);
        } catch (ReflectiveOperationException e) {
            try {
                Field f = p.getClass().getDeclaredField("pid");
                f.setAccessible(true);
                return f.getInt(p);
            } catch (ReflectiveOperationException | RuntimeException e2) {
                return -1;
            }
        }
    }

    private static void fail(String message) {
        System.err.println("error: " + message);
        System.exit(1);
    }
}
