package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.box.Box;
import orchestrate.controller.box.LocalBox;
import orchestrate.controller.job.RunRecord;
import orchestrate.controller.ssh.SshBox;
import orchestrate.controller.ssh.SshConnector;
import orchestrate.controller.ssh.SshEndpoint;
import orchestrate.controller.ssh.SshTarget;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Where the agent runs: {@code --host} (with its SSH options) or {@code --local}. */
public final class TargetOptions {

    static final class Where {
        @Option(names = "--host", paramLabel = "USER@HOST[:PORT]",
                description = "The box, over SSH; HOST may be an alias from ~/.ssh/config.")
        String host;

        @Option(names = "--local", description = "Run the agent as a process on this machine instead.")
        boolean local;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Where where;

    @Option(names = {"-i", "--identity"}, paramLabel = "KEY",
            description = "Private key file (default: IdentityFile from ~/.ssh/config, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa).")
    Path identity;

    @Option(names = "--accept-new-host-key",
            description = "Trust a host key seen for the first time and record it in ~/.ssh/known_hosts. A changed key is always refused.")
    boolean acceptNewHostKey;

    @Option(names = "--host-key", paramLabel = "SHA256:...",
            description = "Accept only this host key fingerprint, whatever known_hosts says.")
    String hostKey;

    /** Connects; a refused key or host key is an {@link ExitException}, an unreachable host too. */
    Box open(Laptop laptop) {
        return open(where, identity, acceptNewHostKey, hostKey, laptop);
    }

    static Box open(Where where, Path identity, boolean acceptNewHostKey, String hostKey, Laptop laptop) {
        if (where.local) {
            return new LocalBox(laptop.home());
        }
        SshEndpoint endpoint = SshEndpoint.resolve(SshTarget.parse(where.host), identity, laptop);
        return connect(endpoint, laptop, acceptNewHostKey, hostKey);
    }

    /** Reconnects to the box of an earlier run, holding it to the host key that run saw. */
    static Box reopen(RunRecord record, Laptop laptop) {
        RunRecord.Target target = record.target();
        if (target.local()) {
            return new LocalBox(laptop.home());
        }
        SshEndpoint endpoint = new SshEndpoint(target.user(), target.host(), target.port(), target.identities().stream().map(Path::of).toList());
        return connect(endpoint, laptop, false, target.hostKey());
    }

    private static Box connect(SshEndpoint endpoint, Laptop laptop, boolean acceptNew, String pinned) {
        try {
            return new SshBox(new SshConnector(endpoint), laptop.sshDir().resolve("known_hosts"), acceptNew, pinned);
        } catch (IOException e) {
            throw new ExitException(ExitException.CONNECTION, "cannot connect to " + endpoint.display() + ": " + e.getMessage());
        }
    }
}
