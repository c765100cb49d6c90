package orchestrate.controller.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import orchestrate.controller.Laptop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SshEndpointTest {

    @TempDir
    Path home;

    private Laptop laptop() {
        return new Laptop(home, Map.of(), System.in, System.out, System.err, false, java.time.Clock.systemUTC());
    }

    @Test
    void aliasFromSshConfigSuppliesHostNameUserPortAndKey() throws Exception {
        Path ssh = Files.createDirectories(home.resolve(".ssh"));
        Files.writeString(ssh.resolve("vast_key"), "not read here");
        Files.writeString(ssh.resolve("config"), """
                # rented boxes
                Host vast-* !vast-old
                    HostName 1.2.3.4
                    User root
                    Port 34538
                    IdentityFile ~/.ssh/vast_key
                Host *
                    User someone-else
                    Port 22
                """);
        SshEndpoint endpoint = SshEndpoint.resolve(SshTarget.parse("vast-mibera"), null, laptop());
        assertEquals(new SshEndpoint("root", "1.2.3.4", 34538, List.of(ssh.resolve("vast_key"))), endpoint);

        Files.writeString(ssh.resolve("id_ed25519"), "default key");
        SshEndpoint old = SshEndpoint.resolve(SshTarget.parse("vast-old:2200"), null, laptop());
        assertEquals(new SshEndpoint("someone-else", "vast-old", 2200, List.of(ssh.resolve("id_ed25519"))), old);
    }
}
