package orchestrate.model;

/** One way to cut the attention widths into heads: heads x headDim = Q width, kvHeads x headDim = K/V width. */
public record HeadLayout(int headDim, int heads, int kvHeads) {

    @Override
    public String toString() {
        return "head_dim " + headDim + " -> " + heads + " heads / " + kvHeads + " KV heads";
    }
}
