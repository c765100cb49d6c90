package orchestrate.controller.box;

/** What a box offers a recipe: free disk where the workdir goes, cores and memory. */
public record BoxFacts(long freeDisk, int cores, long memory) {}
