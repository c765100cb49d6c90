package orchestrate.controller.cost;

import java.time.Instant;

/**
 * A vast.ai instance as the API reports it.
 *
 * @param perHour        dph_total: dollars per hour while it runs (GPU and base)
 * @param storagePerHour storage_total_cost: dollars per hour for its disk, billed as long as it exists, even stopped
 * @param uploadPerGb    inet_up_cost, and {@code downloadPerGb} inet_down_cost: dollars per GB moved
 * @param started        start_date, or null when not given
 */
public record VastInstance(String id, String status, double perHour, double storagePerHour, double uploadPerGb, double downloadPerGb, Instant started) {}
