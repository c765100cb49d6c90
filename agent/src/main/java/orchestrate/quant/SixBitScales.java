package orchestrate.quant;

/**
 * Q4_K's and Q5_K's 12 bytes holding eight 6-bit scales and eight 6-bit minimums: for j < 4 byte j
 * is the scale and byte j + 4 the minimum; for j >= 4 byte j + 4 holds both low nibbles and the two
 * high bits go to the top of bytes j - 4 (scale) and j (minimum) ({@code get_scale_min_k4}).
 */
final class SixBitScales {

    private SixBitScales() {}

    static void put(byte[] out, int at, int j, int scale, int min) {
        if (j < 4) {
            out[at + j] = (byte) scale;
            out[at + j + 4] = (byte) min;
        } else {
            out[at + j + 4] = (byte) ((scale & 0xF) | (min & 0xF) << 4);
            out[at + j - 4] |= (byte) ((scale >>> 4) << 6);
            out[at + j] |= (byte) ((min >>> 4) << 6);
        }
    }

    static int scale(byte[] in, int at, int j) {
        return j < 4 ? in[at + j] & 63 : (in[at + j + 4] & 0xF) | ((in[at + j - 4] & 0xFF) >>> 6) << 4;
    }

    static int min(byte[] in, int at, int j) {
        return j < 4 ? in[at + j + 4] & 63 : ((in[at + j + 4] & 0xFF) >>> 4) | ((in[at + j] & 0xFF) >>> 6) << 4;
    }
}
