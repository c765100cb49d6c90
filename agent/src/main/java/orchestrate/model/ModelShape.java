package orchestrate.model;

import java.util.List;
import java.util.Map;

/**
 * What the tensors prove about a checkpoint, independent of config.json.
 *
 * @param vocabRows      rows of the token embedding
 * @param outputRows     rows of lm_head, or 0 when it is tied to the embedding
 * @param qWidth         heads x head_dim (the attention output's input width)
 * @param kvWidth        kv_heads x head_dim
 * @param headLayouts    every head split the widths allow, most common head_dim first; one when proven
 * @param headsProven    whether a tensor (per-head norm) fixes head_dim
 * @param norm           "rms" (weight only) or "layer" (weight and bias)
 * @param dtypes         elements per dtype
 * @param experts        experts per MoE layer (intermediate is then each expert's width), 0 for a dense model
 */
public record ModelShape(Family family, int layers, long hidden, long vocabRows, long outputRows, long intermediate,
                         boolean fusedQkv, boolean fusedGateUp, long qWidth, long kvWidth,
                         List<HeadLayout> headLayouts, boolean headsProven,
                         boolean attentionBias, boolean mlpBias, String norm,
                         Map<String, Long> dtypes, long parameters, long bytes, int tensorCount, int experts) {

    public boolean tied() {
        return outputRows == 0;
    }
}
