package orchestrate.quant;

/** Little-endian 16- and 32-bit fields inside byte arrays, as the block structs lay them out. */
final class LittleEndian {

    private LittleEndian() {}

    static void putShort(byte[] out, int at, short value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
    }

    static short getShort(byte[] in, int at) {
        return (short) ((in[at] & 0xFF) | (in[at + 1] << 8));
    }

    static float getHalf(byte[] in, int at) {
        return Half.toFloat(getShort(in, at));
    }

    static void putHalf(byte[] out, int at, float value) {
        putShort(out, at, Half.fromFloat(value));
    }

    static void putInt(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
        out[at + 2] = (byte) (value >>> 16);
        out[at + 3] = (byte) (value >>> 24);
    }

    static int getInt(byte[] in, int at) {
        return (in[at] & 0xFF) | (in[at + 1] & 0xFF) << 8 | (in[at + 2] & 0xFF) << 16 | (in[at + 3] & 0xFF) << 24;
    }
}
