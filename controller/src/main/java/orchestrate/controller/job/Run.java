package orchestrate.controller.job;

import java.io.IOException;
import java.util.function.UnaryOperator;

/**
 * The one owner of a run's record: every change is asked of it, made on a new value and saved at
 * once, so a controller killed at any moment leaves the record as it last was.
 */
public final class Run {

    private final RunStore store;
    private RunRecord record;

    public Run(RunStore store, RunRecord record) {
        this.store = store;
        this.record = record;
    }

    public synchronized RunRecord record() {
        return record;
    }

    /** Applies {@code change}, saves the result, and returns it. */
    public synchronized RunRecord update(UnaryOperator<RunRecord> change) throws IOException {
        RunRecord changed = change.apply(record);
        store.save(changed);
        record = changed;
        return changed;
    }

    public RunStore store() {
        return store;
    }
}
