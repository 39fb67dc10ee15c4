package io.opshell.host.identity;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Users and groups through NSS, by running {@code id} and {@code getent}: the same answer an
 * operator gets from {@code id -G USER} (LDAP, SSSD and the rest included), with no native code of
 * our own. The JDK resolves names through NSS too, but has no call for a user's groups. Each
 * answer costs a process start (about a millisecond), so the server wraps this in
 * {@link CachingUserDirectory}. A lookup that fails or takes longer than {@link #TIMEOUT} counts as
 * "no such user or group" and is logged.
 */
public final class NssUserDirectory implements UserDirectory {
    private static final Logger log = LoggerFactory.getLogger(NssUserDirectory.class);
    /** An NSS source behind a network (LDAP) may be slow; a connection does not wait longer than this. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final String ID = tool("id");
    private static final String GETENT = tool("getent");
    /** {@code id}'s output in the C locale: uid=1000(alice) gid=1000(alice) groups=1000(alice),27(sudo),4242 */
    private static final Pattern ID_LINE =
            Pattern.compile("uid=(\\d+)\\(([^)]*)\\) gid=(\\d+)(?:\\([^)]*\\))?(?: groups=(.*))?");
    private static final Pattern ID_GROUP = Pattern.compile("(\\d+)(?:\\((.*)\\))?");
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    /** The coreutils path (Debian's merged /usr), else whatever PATH finds. */
    private static String tool(String name) {
        Path usrBin = Path.of("/usr/bin", name);
        return Files.isExecutable(usrBin) ? usrBin.toString() : name;
    }

    @Override
    public Optional<Account> user(long uid) {
        return run(ID, "--", "+" + uid).flatMap(NssUserDirectory::parseId); // '+': a number, never a name
    }

    @Override
    public Optional<Account> user(String name) {
        return run(ID, "--", name).flatMap(NssUserDirectory::parseId);
    }

    @Override
    public Optional<Group> group(String nameOrGid) {
        if (nameOrGid.isEmpty() || nameOrGid.startsWith("-")) {
            return Optional.empty();
        }
        return run(GETENT, "group", nameOrGid).flatMap(line -> {
            String[] f = line.split(":", -1);
            if (f.length < 3 || !DIGITS.matcher(f[2]).matches()) {
                return Optional.empty();
            }
            return Optional.of(Group.of(Long.parseLong(f[2]), f[0]));
        });
    }

    static Optional<Account> parseId(String line) {
        Matcher m = ID_LINE.matcher(line.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        List<Group> groups = new ArrayList<>();
        if (m.group(4) != null) {
            for (String item : m.group(4).split(",")) {
                Matcher g = ID_GROUP.matcher(item);
                if (g.matches()) {
                    groups.add(Group.of(Long.parseLong(g.group(1)), g.group(2)));
                }
            }
        }
        return Optional.of(new Account(Long.parseLong(m.group(1)), m.group(2), Long.parseLong(m.group(3)), groups));
    }

    /** The first line the command prints when it succeeds; empty when it fails or times out. */
    private static Optional<String> run(String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("LC_ALL", "C"); // id's labels are translated in other locales
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            log.warn("cannot run {} to resolve users and groups: {}", command[0], e.getMessage());
            return Optional.empty();
        }
        try (InputStream out = p.getInputStream()) {
            p.getOutputStream().close();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                log.warn("{} took longer than {} s; treating '{}' as unknown", String.join(" ", command),
                        TIMEOUT.toSeconds(), command[command.length - 1]);
                return Optional.empty();
            }
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0 || text.isBlank()) {
                return Optional.empty();
            }
            int nl = text.indexOf('\n');
            return Optional.of(nl < 0 ? text : text.substring(0, nl));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }
}
