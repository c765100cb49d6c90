package orchestrate.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import orchestrate.conversion.TensorSource;
import orchestrate.safetensors.CheckpointFiles;

/**
 * A recipe's workdir as the plan imagines it, step after step, without running anything: the files
 * each step leaves (path and size), the checkpoints known by their headers (from the Hub), the
 * GGUFs known by their tensors, and each step's estimate.
 */
public final class PlanContext {

    /** Throughputs the time estimates assume. */
    public record Rates(double networkMBps, double convertMBps, double quantizeMBpsPerCore, int cores) {}

    /**
     * @param seconds  how long the step should take; 0 when not estimated
     * @param diskPeak the most the workdir holds while it runs
     * @param diskAfter what it holds when it is done
     */
    public record Estimate(String step, String kind, double seconds, long diskPeak, long diskAfter, String note, boolean wouldFail) {}

    private final Map<String, String> environment;
    private final Rates rates;
    private final Map<String, Long> files = new LinkedHashMap<>();
    private final Map<String, CheckpointFiles> checkpoints = new LinkedHashMap<>();
    private final Map<String, TensorSource> ggufs = new LinkedHashMap<>();
    private final List<Estimate> estimates = new ArrayList<>();
    private final java.util.Set<String> notices = new java.util.LinkedHashSet<>();
    private String step;
    private String kind;

    public PlanContext(Map<String, String> environment, Rates rates) {
        this.environment = Map.copyOf(environment);
        this.rates = rates;
    }

    public Map<String, String> environment() {
        return environment;
    }

    public Rates rates() {
        return rates;
    }

    void begin(String step, String kind) {
        this.step = step;
        this.kind = kind;
    }

    /** Records the running step's estimate: its time and the most disk it adds on top of what is there when it starts. */
    public void estimate(double seconds, long extraPeak, long before, String note) {
        estimates.add(new Estimate(step, kind, seconds, before + extraPeak, disk(), note, false));
    }

    /** Something the person planning must know before the run, such as where the token would be sent; each said once. */
    public void notice(String line) {
        notices.add(line);
    }

    public List<String> notices() {
        return List.copyOf(notices);
    }

    /** Records that the running step would fail, and why. */
    void wouldFail(long before, String why) {
        estimates.add(new Estimate(step, kind, 0, before, disk(), "would fail: " + why, true));
    }

    /** The size of a file an earlier step leaves, when the plan knows it. */
    public Optional<Long> size(String path) {
        return Optional.ofNullable(files.get(path));
    }

    public void file(String path, long size) {
        files.put(path, size);
    }

    public void remove(String path) {
        files.remove(path);
    }

    /** Paths of every file the plan knows. */
    public List<String> files() {
        return List.copyOf(files.keySet());
    }

    /** Paths of the files under {@code dir}. */
    public List<String> filesUnder(String dir) {
        String prefix = dir.endsWith("/") ? dir : dir + "/";
        return files.keySet().stream().filter(p -> p.startsWith(prefix)).toList();
    }

    public long disk() {
        return files.values().stream().mapToLong(Long::longValue).sum();
    }

    public void checkpoint(String dir, CheckpointFiles view) {
        checkpoints.put(dir, view);
    }

    /** The checkpoint an earlier step left in {@code dir}, or null when the plan does not know one. */
    public CheckpointFiles checkpoint(String dir) {
        return checkpoints.get(dir);
    }

    public void gguf(String path, TensorSource tensors) {
        ggufs.put(path, tensors);
    }

    public TensorSource gguf(String path) {
        return ggufs.get(path);
    }

    public List<Estimate> estimates() {
        return List.copyOf(estimates);
    }
}
