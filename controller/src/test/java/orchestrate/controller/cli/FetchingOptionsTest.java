package orchestrate.controller.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import orchestrate.controller.ExitException;
import org.junit.jupiter.api.Test;

/** --limit-rate is read as curl reads it: bytes per second, binary multiples. */
class FetchingOptionsTest {

    @Test
    void ratesAreBytesPerSecondWithBinaryMultiples() {
        assertEquals(500 * 1024, FetchingOptions.bytesPerSecond("500K"));
        assertEquals(20L << 20, FetchingOptions.bytesPerSecond("20M"));
        assertEquals(20L << 20, FetchingOptions.bytesPerSecond("20MB/s"));
        assertEquals(20L << 20, FetchingOptions.bytesPerSecond("20 MiB/s"));
        assertEquals((long) (1.5 * (1L << 30)), FetchingOptions.bytesPerSecond("1.5g"));
        assertEquals(2_000_000, FetchingOptions.bytesPerSecond("2000000"));
        assertThrows(ExitException.class, () -> FetchingOptions.bytesPerSecond("100"), "below 1K");
        assertThrows(ExitException.class, () -> FetchingOptions.bytesPerSecond("20 Mbit"));
        assertThrows(ExitException.class, () -> FetchingOptions.bytesPerSecond("-5M"));
    }
}
