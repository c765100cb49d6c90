package orchestrate.event;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import orchestrate.testing.Refusals;

/** Any line of an event log: an event that encodes back to the same event, or one clear refusal. */
class EventCodecFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void decode(byte[] bytes) {
        String line = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        Envelope envelope;
        try {
            envelope = EventCodec.decode(line);
        } catch (IllegalArgumentException refused) {
            Refusals.assertClear(refused, null);
            return;
        }
        assertEquals(envelope, EventCodec.decode(EventCodec.encode(envelope)));
    }
}
