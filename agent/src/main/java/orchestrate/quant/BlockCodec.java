package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * One ggml storage format: F32 values to the bytes of whole blocks and back, as llama.cpp's
 * reference (no importance matrix) quantizers write them. An instance keeps scratch arrays for its
 * search, so it is not thread-safe: make one per thread with {@link #of}.
 */
public interface BlockCodec {

    GgmlType type();

    /** Encodes {@code count} values (whole blocks) from {@code x[offset]} into {@code out[outOffset]}. */
    void quantize(float[] x, int offset, int count, byte[] out, int outOffset);

    /** Decodes the blocks at {@code in[inOffset]} standing for {@code count} values into {@code out[outOffset]}. */
    void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset);

    static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, MXFP4 -> true;
            default -> false;
        };
    }

    /** Which scale searches the K-quants run in this JVM, in words, for the log. */
    static String searches() {
        return !GroupFits.simd() ? "one group at a time (this JVM runs without jdk.incubator.vector, or "
                + GroupFits.SCALAR_PROPERTY + " is set)" : VectorGroupFits.lanes() + " groups at once in SIMD lanes (jdk.incubator.vector)";
    }

    /** A fresh codec for {@code type}; every type a GGUF we write may hold. */
    static BlockCodec of(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> new PlainCodec(type);
            case Q8_0 -> GroupFits.simd() ? new VectorQ8_0() : new Q8_0();
            case Q4_0 -> new Q4_0();
            case Q5_0 -> new Q5_0();
            case Q5_1 -> new Q5_1();
            case Q2_K -> new Q2_K();
            case Q3_K -> new Q3_K();
            case Q4_K -> new Q4_K();
            case Q5_K -> new Q5_K();
            case Q6_K -> new Q6_K();
            case MXFP4 -> new MXFP4();
            default -> throw new IllegalArgumentException("no codec for " + type);
        };
    }
}
