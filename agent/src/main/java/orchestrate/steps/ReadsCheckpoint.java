package orchestrate.steps;

/** A step that reads a Hugging Face checkpoint directory of the workdir as a model (to inspect, patch, convert, quantize or split it). */
interface ReadsCheckpoint {

    /** The checkpoint directory, as the recipe names it. */
    String checkpoint();
}
