package orchestrate.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * gpt-oss's experts as OpenAI published them: MXFP4, each {@code X_blocks} [experts, rows, groups, 16]
 * (32 E2M1 values a group, element 2i in a byte's low nibble, 2i + 1 in its high one) with
 * {@code X_scales} [experts, rows, groups] (E8M0, bias 127). Seen as the BF16 tensor X
 * [experts, groups x 32, rows] of the Hugging Face layout it dequantizes to, exactly: every such value
 * is a bfloat16, which is why unsloth's BF16 copy is the same model.
 */
final class PackedExperts {

    private static final float[] E2M1 = {0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f};

    /** The blocks and scales a logical tensor is read from. */
    record Packed(StoredTensor blocks, StoredTensor scales) {}

    private PackedExperts() {}

    /** {@code tensors} with every blocks/scales pair replaced by its logical tensor, in place of the blocks; {@code packed} learns where each came from. */
    static Map<String, StoredTensor> logical(Map<String, StoredTensor> tensors, Map<String, Packed> packed) throws ShapeException {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, StoredTensor> tensor : tensors.entrySet()) {
            String name = tensor.getKey();
            if (name.endsWith("_scales") && tensors.containsKey(name.substring(0, name.length() - "_scales".length()) + "_blocks")) {
                continue;
            }
            if (!name.endsWith("_blocks")) {
                out.put(name, tensor.getValue());
                continue;
            }
            String logical = name.substring(0, name.length() - "_blocks".length());
            StoredTensor blocks = tensor.getValue();
            StoredTensor scales = tensors.get(logical + "_scales");
            TensorEntry b = blocks.entry();
            if (scales == null || b.rank() != 4 || b.dim(3) != 16 || scales.entry().rank() != 3 || scales.entry().dim(0) != b.dim(0)
                    || scales.entry().dim(1) != b.dim(1) || scales.entry().dim(2) != b.dim(2) || b.dtype() != DType.U8 || scales.entry().dtype() != DType.U8) {
                throw new ShapeException(name + " is " + b + (scales == null ? " without " + logical + "_scales" : " beside " + scales.entry())
                        + "; MXFP4 experts are U8 blocks [experts, rows, groups, 16] with U8 scales [experts, rows, groups]");
            }
            TensorEntry entry = new TensorEntry(logical, DType.BF16, new long[] {b.dim(0), b.dim(2) * 32, b.dim(1)}, b.begin(),
                    b.end() + scales.entry().bytes());
            out.put(logical, new StoredTensor(blocks.file(), entry, blocks.dataStart()));
            packed.put(logical, new Packed(blocks, scales));
        }
        return out;
    }

    /** Expert {@code expert}'s matrix [groups x 32][rows] of the logical tensor, dequantized into {@code matrix}. */
    static void read(Packed packed, long expert, RowReader reader, float[] matrix) throws IOException {
        TensorEntry b = packed.blocks().entry();
        int rows = (int) b.dim(1);
        int groups = (int) b.dim(2);
        ByteBuffer blocks = ByteBuffer.allocate(rows * groups * 16);
        ByteBuffer scales = ByteBuffer.allocate(rows * groups);
        reader.bytes(packed.blocks(), expert * blocks.capacity(), blocks);
        reader.bytes(packed.scales(), expert * scales.capacity(), scales);
        byte[] q = blocks.array();
        byte[] e = scales.array();
        for (int row = 0; row < rows; row++) {
            for (int group = 0; group < groups; group++) {
                int exponent = (e[row * groups + group] & 0xFF) - 127;
                int from = (row * groups + group) * 16;
                for (int i = 0; i < 16; i++) {
                    int packedByte = q[from + i] & 0xFF;
                    int first = group * 32 + 2 * i;
                    matrix[first * rows + row] = Math.scalb(E2M1[packedByte & 0x0F], exponent);
                    matrix[(first + 1) * rows + row] = Math.scalb(E2M1[packedByte >>> 4], exponent);
                }
            }
        }
    }
}
