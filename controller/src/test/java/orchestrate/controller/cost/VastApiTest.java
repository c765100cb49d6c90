package orchestrate.controller.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

public class VastApiTest {

    public static final String INSTANCE = """
            {"id": 4242, "actual_status": "running", "dph_total": 0.452, "storage_total_cost": 0.0231, "inet_up_cost": 0.01,
             "inet_down_cost": 0.005, "start_date": 1795000000.5, "ssh_host": "ssh4.vast.ai", "ssh_port": 34538}
            """;

    FakeVast vast;
    final List<Duration> waits = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vast = new FakeVast("4242", INSTANCE);
    }

    @AfterEach
    void stop() {
        vast.close();
    }

    VastApi api(String key) {
        return new VastApi(vast.base(), key, waits::add);
    }

    @Test
    void readsThePricesStatusAndStartOfAnInstance() throws Exception {
        VastInstance instance = api(FakeVast.KEY).instance("4242");

        assertEquals(new VastInstance("4242", "running", 0.452, 0.0231, 0.01, 0.005, Instant.ofEpochMilli(1_795_000_000_500L)), instance);
    }

    @Test
    void busyAnswersAreRetriedAsRetryAfterSays() throws Exception {
        vast.busyFirst(429, 503, 502);

        assertEquals(0.452, api(FakeVast.KEY).instance("4242").perHour());
        assertEquals(List.of(Duration.ofSeconds(3), Duration.ofSeconds(3), Duration.ofSeconds(3)), waits);
    }

    @Test
    void aBadKeyAndAnUnknownInstanceAreOneClearErrorEach() {
        VastException key = assertThrows(VastException.class, () -> api("wrong-key").instance("4242"));
        assertEquals("vast.ai refused VAST_API_KEY (HTTP 401 on GET instance 4242); create a key at https://cloud.vast.ai/manage-keys/", key.getMessage());
        assertFalse(key.getMessage().contains("wrong-key"), "the key never appears in a message");

        VastException unknown = assertThrows(VastException.class, () -> api(FakeVast.KEY).instance("999"));
        assertEquals("vast.ai has no instance 999 in this account (HTTP 404 on GET instance 999)", unknown.getMessage());
    }

    @Test
    void busyForeverGivesUpAfterSixAttempts() {
        vast.busyFirst(503, 503, 503, 503, 503, 503, 503);

        VastException busy = assertThrows(VastException.class, () -> api(FakeVast.KEY).stop("4242"));

        assertEquals("vast.ai answered HTTP 503 to PUT instance 4242 after 6 attempts", busy.getMessage());
        assertEquals(List.of(), vast.calls());
    }

    @Test
    void stopAndDestroyAreThePutAndDeleteOfTheInstance() throws Exception {
        api(FakeVast.KEY).stop("4242");
        api(FakeVast.KEY).destroy("4242");

        assertEquals(List.of("PUT /api/v0/instances/4242/ {\"state\": \"stopped\"}", "DELETE /api/v0/instances/4242/"), vast.calls());
    }
}
