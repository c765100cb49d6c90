package orchestrate.controller.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import orchestrate.controller.ExitException;
import org.junit.jupiter.api.Test;

class SshTargetTest {

    @Test
    void readsUserHostAndPort() {
        assertEquals(new SshTarget("root", "1.2.3.4", 34538), SshTarget.parse("root@1.2.3.4:34538"));
        assertEquals(new SshTarget(null, "gpu-box", 0), SshTarget.parse("gpu-box"));
        assertEquals(new SshTarget("me", "::1", 2222), SshTarget.parse("me@[::1]:2222"));
        assertEquals(new SshTarget("me", "fe80::1", 0), SshTarget.parse("me@fe80::1"));
    }

    @Test
    void rejectsWhatIsNotAHost() {
        ExitException e = assertThrows(ExitException.class, () -> SshTarget.parse("root@host:99999"));
        assertEquals("--host 'root@host:99999': the port must be a number from 1 to 65535", e.getMessage());
        assertEquals(2, e.status());
        assertEquals("--host '@host': expected USER@HOST[:PORT], e.g. root@1.2.3.4:34538",
                assertThrows(ExitException.class, () -> SshTarget.parse("@host")).getMessage());
    }
}
