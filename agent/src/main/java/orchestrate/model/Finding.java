package orchestrate.model;

/**
 * One row of the inspect table.
 *
 * @param config  what config.json says, or "-" when it says nothing
 * @param tensors what the tensors say
 * @param note    why, in a few words, where the verdict needs it
 */
public record Finding(String field, String config, String tensors, Verdict verdict, String note) {

    public enum Verdict {
        OK("ok"), CONTRADICTED("CONTRADICTED"), UNPROVABLE("unprovable"), MISSING("missing");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }
}
