package orchestrate.controller.ssh;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where and as whom to connect, after {@code ~/.ssh/config} and the defaults are applied. */
public record SshEndpoint(String user, String host, int port, List<Path> identities) {

    private static final List<String> DEFAULT_KEYS = List.of("id_ed25519", "id_ecdsa", "id_rsa");

    public static SshEndpoint resolve(SshTarget target, Path identity, Laptop laptop) {
        SshConfigFile.HostSettings settings;
        try {
            settings = SshConfigFile.read(laptop.sshDir().resolve("config"), target.host());
        } catch (IOException | NumberFormatException e) {
            throw new ExitException(ExitException.USAGE, "cannot read " + laptop.sshDir().resolve("config") + ": " + e.getMessage());
        }
        String host = settings.hostName() != null ? settings.hostName() : target.host();
        String user = target.user() != null ? target.user()
                : settings.user() != null ? settings.user() : System.getProperty("user.name");
        int port = target.port() != 0 ? target.port() : settings.port() != null ? settings.port() : 22;
        List<Path> identities = new ArrayList<>();
        if (identity != null) {
            if (!Files.isRegularFile(identity)) {
                throw new ExitException(ExitException.USAGE, "--identity " + identity + ": no such key file");
            }
            identities.add(identity);
        } else {
            for (String file : settings.identityFiles()) {
                Path path = expand(file, laptop);
                if (Files.isRegularFile(path)) {
                    identities.add(path);
                }
            }
            if (identities.isEmpty()) {
                for (String name : DEFAULT_KEYS) {
                    Path path = laptop.sshDir().resolve(name);
                    if (Files.isRegularFile(path)) {
                        identities.add(path);
                    }
                }
            }
        }
        if (identities.isEmpty()) {
            throw new ExitException(ExitException.CONNECTION, "no SSH key found in " + laptop.sshDir()
                    + ": pass --identity KEY, or create one with: ssh-keygen -t ed25519");
        }
        return new SshEndpoint(user, host, port, List.copyOf(identities));
    }

    private static Path expand(String file, Laptop laptop) {
        if (file.startsWith("~/") || file.startsWith("~\\")) {
            return laptop.home().resolve(file.substring(2));
        }
        return Path.of(file);
    }

    /** user@host:port, as messages and the run list show it. */
    public String display() {
        return user + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
