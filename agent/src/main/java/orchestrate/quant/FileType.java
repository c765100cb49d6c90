package orchestrate.quant;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import orchestrate.gguf.GgmlType;

/**
 * llama-quantize's file types: the {@code general.file_type} a GGUF declares (llama.cpp's
 * LLAMA_FTYPE) and the type most of its weights get.
 */
public enum FileType {
    F16(1, GgmlType.F16), BF16(32, GgmlType.BF16),
    Q4_0(2, GgmlType.Q4_0), Q8_0(7, GgmlType.Q8_0), Q5_0(8, GgmlType.Q5_0), Q5_1(9, GgmlType.Q5_1),
    Q2_K(10, GgmlType.Q2_K), Q3_K_S(11, GgmlType.Q3_K), Q3_K_M(12, GgmlType.Q3_K), Q3_K_L(13, GgmlType.Q3_K),
    Q4_K_S(14, GgmlType.Q4_K), Q4_K_M(15, GgmlType.Q4_K), Q5_K_S(16, GgmlType.Q5_K), Q5_K_M(17, GgmlType.Q5_K),
    Q6_K(18, GgmlType.Q6_K),
    /** gpt-oss's own: the 3-D expert tensors in MXFP4 (as OpenAI trained them), every other weight Q8_0. */
    MXFP4_MOE(38, GgmlType.MXFP4);

    private final int id;
    private final GgmlType base;

    FileType(int id, GgmlType base) {
        this.id = id;
        this.base = base;
    }

    /** The value of general.file_type. */
    public int id() {
        return id;
    }

    public GgmlType base() {
        return base;
    }

    /** False for F16 and BF16: every weight keeps 16 bits (the unquantized baseline a quality evaluation compares against). */
    public boolean quantized() {
        return base != GgmlType.F16 && base != GgmlType.BF16;
    }

    /** A file type by name, case-insensitively ("q4_k_m"). */
    public static Optional<FileType> named(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
